"""Marvec's exception tree. Messages name what was expected, what arrived and the fix."""


class MarvecError(Exception):
    """Base of every error Marvec raises on purpose."""


class SettingsError(MarvecError):
    """A setting is wrong; the command stops at start with this one line."""

    def __init__(self, setting: str, why: str) -> None:
        self.setting = setting
        self.why = why
        super().__init__(f"{setting}: {why}")


class BoundaryError(MarvecError):
    """The kecamatan boundaries could not be loaded or are unusable."""


class ServiceError(MarvecError):
    """An embedded or external service could not be started or reached."""
