"""The command line (`python -m backend narrate`): books in, audiobooks out, over HTTP only."""
