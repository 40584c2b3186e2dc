"""Text-line recognition: handwritten digit strings read by conv columns, a bidirectional RNN and CTC."""
