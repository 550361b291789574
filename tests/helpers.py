"""Helpers shared by the tests: uploads, waiting for tasks, comparing figures."""
import io
import math
import time

TERMINAL_STATUSES = ("completed", "failed", "cancelled")


def csv_bytes(rows, encoding="utf-8"):
    return ("\n".join(",".join(str(cell) for cell in row) for row in rows) + "\n").encode(encoding)


def upload(api, batch_code, questions, *score_sheets, **query):
    """POST the files ((name, bytes) pairs) to /batches/{code}/data."""
    data = {"questions": (io.BytesIO(questions[1]), questions[0])}
    data["scores"] = [(io.BytesIO(content), name) for name, content in score_sheets]
    suffix = "?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else ""
    return api.post(f"/batches/{batch_code}/data{suffix}", data=data, content_type="multipart/form-data")


def wait_for_task(api, task_id, statuses=TERMINAL_STATUSES, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = api.get(f"/tasks/{task_id}/status").get_json()
        if body["status"] in statuses:
            return body
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} did not reach {statuses}: {body}")


def compare_figures(actual, expected, path, mismatches, tolerance=1e-6, skip=()):
    """Walk `expected` and record every key of it that `actual` lacks or differs in."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            mismatches.append(f"{path}: expected an object, got {actual!r}")
            return
        for key, value in expected.items():
            if key in skip:
                continue
            if key not in actual:
                mismatches.append(f"{path}/{key}: missing")
                continue
            compare_figures(actual[key], value, f"{path}/{key}", mismatches, tolerance, skip)
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            mismatches.append(f"{path}: expected {expected!r}, got {actual!r}")
            return
        for index, (left, right) in enumerate(zip(actual, expected)):
            compare_figures(left, right, f"{path}[{index}]", mismatches, tolerance, skip)
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool):
        if not isinstance(actual, (int, float)) or isinstance(actual, bool) or not math.isclose(
            actual, expected, rel_tol=0, abs_tol=tolerance
        ):
            mismatches.append(f"{path}: expected {expected!r}, got {actual!r}")
    elif actual != expected:
        mismatches.append(f"{path}: expected {expected!r}, got {actual!r}")
