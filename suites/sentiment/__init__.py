"""Sentiment classification with attention pooling: Rotten Tomatoes critic snippets, generated reviews, CSV, folders, IMDB."""
