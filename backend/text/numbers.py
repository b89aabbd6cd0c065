"""TEMP"""


def spell_numbers(text, language):
    return text
