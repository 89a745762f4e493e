"""How every benchmark script prints its result."""
import json


def print_result(result: dict, as_json: bool) -> None:
    """One JSON line (what ``run_all.py`` reads) or aligned ``key: value``
    lines for a person."""
    if as_json:
        print(json.dumps(result))
        return
    width = max(map(len, result))
    for key, value in result.items():
        print(f'{key:>{width}}: {value}')
