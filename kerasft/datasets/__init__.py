from kerasft.datasets.packaged import load_bbc_news, load_polarity

__all__ = ["load_bbc_news", "load_polarity"]
