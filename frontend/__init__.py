"""Chatterbox Studio's browser front end (Streamlit); it reaches the server only over HTTP."""
