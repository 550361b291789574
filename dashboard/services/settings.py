"""A batch's calculation settings: grade thresholds, upper/lower group share and score band width.

Defaults are STATISTICS.md's (jobs.engine.exam.ExamSettings); a batch stores only the values
it changes. The job turns them into the engine's ExamSettings with `exam_settings`.
"""
from jobs.engine.exam import ExamSettings

DEFAULTS = ExamSettings()
BAND_WIDTHS = (5, 10, 20, 25, 50)
SETTING_NAMES = ("excellent_threshold", "good_threshold", "satisfactory_threshold", "group_share", "band_width")


def default_settings():
    return {
        "excellent_threshold": DEFAULTS.excellent_threshold,
        "good_threshold": DEFAULTS.good_threshold,
        "satisfactory_threshold": DEFAULTS.satisfactory_threshold,
        "group_share": DEFAULTS.group_share,
        "band_width": 100 // DEFAULTS.band_count,
    }


def effective_settings(stored):
    return {**default_settings(), **(stored or {})}


def exam_settings(stored):
    """The engine's settings for a batch's stored settings."""
    settings = effective_settings(stored)
    return ExamSettings(
        excellent_threshold=settings["excellent_threshold"],
        good_threshold=settings["good_threshold"],
        satisfactory_threshold=settings["satisfactory_threshold"],
        group_share=settings["group_share"],
        band_count=100 // settings["band_width"],
    )


def validate_settings(values):
    """(settings to store, problems): numbers where numbers belong, thresholds in order."""
    if not isinstance(values, dict):
        return {}, [{"field": "settings", "message": "Give the settings as an object."}]
    problems = [
        {"field": name, "message": f"Unknown setting '{name}'."} for name in values if name not in SETTING_NAMES
    ]
    settings = effective_settings({})
    for name in SETTING_NAMES:
        if name not in values or values[name] in (None, ""):
            continue
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append({"field": name, "message": "Give a number."})
            continue
        settings[name] = value
    problems.extend(_range_problems(settings))
    return ({name: settings[name] for name in SETTING_NAMES}, problems) if not problems else ({}, problems)


def _range_problems(settings):
    problems = []
    satisfactory, good, excellent = (
        settings["satisfactory_threshold"],
        settings["good_threshold"],
        settings["excellent_threshold"],
    )
    if not 0 < satisfactory < good < excellent <= 1:
        problems.append(
            {
                "field": "excellent_threshold",
                "message": "The thresholds must rise: 0 < satisfactory < good < excellent <= 1 (shares of the full mark).",
            }
        )
    if not 0.05 <= settings["group_share"] <= 0.5:
        problems.append({"field": "group_share", "message": "The upper/lower group share must be from 0.05 to 0.5."})
    if settings["band_width"] not in BAND_WIDTHS:
        widths = ", ".join(str(width) for width in BAND_WIDTHS)
        problems.append({"field": "band_width", "message": f"The band width must be one of {widths} (percent)."})
    return problems
