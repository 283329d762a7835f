def count(items: list[str]) -> int:
    return ",".join(items)
