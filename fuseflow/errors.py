"""The exception types fuseflow raises for problems a user can fix."""


class FuseflowError(Exception):
    """Base of every error fuseflow reports to a user as one located line."""


class InputError(FuseflowError):
    """An input file or argument is wrong; the message says where (file, key path, node, core)."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class InfeasibleError(FuseflowError):
    """The inputs are valid but cannot be run (e.g. a tensor larger than every memory)."""
