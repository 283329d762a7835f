import os


def describe(name: str) -> str:
    unused = 1
    return "This is a deliberately long line that goes well past one hundred and twenty characters, for flake8 and for pylint: " + name
