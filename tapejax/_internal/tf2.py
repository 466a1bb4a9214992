"""``tf.__internal__.tf2``: TF2 behaviour is always on in tapejax."""


def enabled():
    """True: tapejax has TF2 behaviour only (eager execution, resource Variables)."""
    return True
