"""Streamlit chat front end: a thin client of the API."""
