"""Text before speech: cleaning a request's text and splitting it into engine-sized chunks."""
