"""Evaluation question set for the cited question-answering assistant."""
