"""``tf.saved_model.SaveOptions`` and ``LoadOptions`` (TF's arguments and defaults)."""


class _Options:
    _DEFAULTS = {}
    _IMPLEMENTED = ()  # options that may take other values
    _CALLER = ""

    def _set(self, given):
        for name in self._DEFAULTS:
            setattr(self, name, given[name])

    def check(self):
        """``NotImplementedError`` naming the first option that is not at its default."""
        for name, default in self._DEFAULTS.items():
            if name not in self._IMPLEMENTED and getattr(self, name) != default:
                raise NotImplementedError(f"tapejax.saved_model.{self._CALLER} does not "
                                          f"implement the {type(self).__name__} argument "
                                          f"`{name}`.")


class SaveOptions(_Options):
    """Options for ``tf.saved_model.save``. tapejax implements the defaults: every function is
    saved with its VJP (``jax.export``'s ``vjp_order=1``), custom gradients included, so
    gradients flow through the loaded function as with TF's ``experimental_custom_gradients=True``.
    ``function_aliases`` (``{alias: function}``) is saved, for ``LoadOptions(
    experimental_load_function_aliases=True)``. Any other option given another value raises
    ``NotImplementedError`` when saving."""

    _CALLER = "save"
    _IMPLEMENTED = ("function_aliases",)
    _DEFAULTS = {"namespace_whitelist": None, "save_debug_info": False, "function_aliases": None,
                 "experimental_debug_stripper": False, "experimental_io_device": None,
                 "experimental_variable_policy": None, "experimental_custom_gradients": True,
                 "experimental_image_format": False, "experimental_skip_saver": False,
                 "experimental_sharding_callback": None, "extra_tags": None}

    def __init__(self, namespace_whitelist=None, save_debug_info=False, function_aliases=None,
                 experimental_debug_stripper=False, experimental_io_device=None,
                 experimental_variable_policy=None, experimental_custom_gradients=True,
                 experimental_image_format=False, experimental_skip_saver=False,
                 experimental_sharding_callback=None, extra_tags=None):
        self._set(locals())


class LoadOptions(_Options):
    """Options for ``tf.saved_model.load``; tapejax implements the defaults and
    ``experimental_load_function_aliases`` (the root's ``function_aliases`` dict)."""

    _CALLER = "load"
    _IMPLEMENTED = ("experimental_load_function_aliases",)
    _DEFAULTS = {"allow_partial_checkpoint": False, "experimental_io_device": None,
                 "experimental_skip_checkpoint": False, "experimental_variable_policy": None,
                 "experimental_load_function_aliases": False}

    def __init__(self, allow_partial_checkpoint=False, experimental_io_device=None,
                 experimental_skip_checkpoint=False, experimental_variable_policy=None,
                 experimental_load_function_aliases=False):
        self._set(locals())
