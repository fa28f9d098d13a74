"""Real weights: the untuned MiniLM (2 of its 6 layers) embeds like
sentence-transformers' recipe (mean pooling + L2 normalize, computed here
with transformers + PyTorch), and its STS-B Spearman is real."""

import numpy as np
import pytest

SENTENCES = ["A man is playing a guitar.", "The weather in Paris is lovely today!",
             "Stocks fell 3% on Monday after the report.", "short",
             "Ünïcode façade and naïve café"]


@pytest.fixture(scope="module")
def embedder():
    import kerasft

    return kerasft.TextEmbedder.from_pretrained("minilm-l6", sequence_length=64,
                                                backbone_config={"num_layers": 2})


def test_matches_sentence_transformers_recipe(embedder):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from kerasft.backbones.presets import preset_directory

    directory = preset_directory("minilm-l6")
    tokenizer = transformers.AutoTokenizer.from_pretrained(directory)
    model = transformers.AutoModel.from_pretrained(directory, num_hidden_layers=2).eval()
    batch = tokenizer(SENTENCES, padding=True, truncation=True, max_length=64,
                      return_tensors="pt")
    with torch.no_grad():
        tokens = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    reference = torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()
    ours = embedder.encode(SENTENCES)
    cosine = (ours * reference).sum(-1)
    assert cosine.min() >= 0.9999, cosine
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_stsb_spearman(embedder, shared_data):
    from kerasft.data import read_stsb

    data = read_stsb(shared_data("stsb", "sts-dev.csv"))
    n = 300
    report = embedder.evaluate_report((data.texts[:n], data.pairs[:n]), data.labels[:n])
    # untuned 2-layer truncation: 0.629 (recall@10 0.90); all 6 layers: 0.933 (0.97)
    assert report["similarity"]["spearman"] > 0.6, report
    assert report["retrieval"]["recall_at_k"]["10"] > 0.5, report
