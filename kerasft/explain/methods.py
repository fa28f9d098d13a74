"""The attribution methods `explain` knows (TensorFlow-free)."""

METHODS = ("integrated_gradients", "occlusion")
