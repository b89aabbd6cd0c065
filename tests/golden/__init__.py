"""Golden files: the exact wording clients see, generated from the code that says it."""
