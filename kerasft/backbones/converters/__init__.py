"""Converters from Hugging Face checkpoint directories to keras-hub backbones.

One module per Hugging Face `model_type` (the table is
`kerasft.backbones.architectures.CONVERTERS`, which imports a module only
when a checkpoint of its type is loaded), plus the safetensors reader
(`safetensors_reader.py`) and the shared conversion steps
(`conversion.py`). Each converter follows the interface of keras-hub's
`convert_*` modules (see `conversion.py`); where keras-hub's converter is
right except for the tensor lookup or the config keys, kerasft reuses its
`convert_weights` on the prefix-tolerant `SafetensorsReader`. The backbone
classes kerasft defines live in `kerasft.backbones.models`.
"""
