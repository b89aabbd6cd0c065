"""The speaking service: one text in, speech out, through the model manager."""
