"""Image captioning: a CNN grid read by a recurrent decoder with Bahdanau attention."""
