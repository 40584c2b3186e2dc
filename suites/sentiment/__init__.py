"""Sentiment classification with attention pooling: compositional reviews, CSV, aclImdb folders, IMDB."""
