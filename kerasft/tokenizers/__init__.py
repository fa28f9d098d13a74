from kerasft.tokenizers.tokenizer import Tokenizer

__all__ = ["Tokenizer"]
