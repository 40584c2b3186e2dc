"""Speech recognition: raw audio to text with a CTC model, trained on synthesised voices."""
