def collect(item: str, bucket: list[str] = []) -> list[str]:
    bucket.append(item)
    return bucket
