# A code ETL: kilnd calls transform() with each object's bytes and stores what it returns.
# Packages listed under "Dependencies" are installed into a virtualenv before the first call.


def transform(input_bytes: bytes) -> bytes:
    return input_bytes.upper()
