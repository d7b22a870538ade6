"""Turning publications (PDF, HTML, text) into chunks, vectors and an index."""
