"""TEST FAKE of spacy_pkuseg (what chatterbox-tts installs): its config and download modules
only, whose download leaves what the real one does (the archive and the model unpacked)."""
