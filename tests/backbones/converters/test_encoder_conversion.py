"""Every encoder kerasft converts, from tiny random checkpoints written by
transformers: base-model and prefixed task-model saves give PyTorch's hidden
states, `num_layers` keeps the first layers, the tokenizer gives
transformers' ids. Architecture-specific checks live in
`test_<architecture>_conversion.py`."""

import fixtures_hf as hf
import pytest

pytestmark = pytest.mark.filterwarnings("ignore:The checkpoint")  # no pooler in some saves

# model_type -> the transformers classes saved: the base model, then task
# models whose tensors carry the `<arch>.` prefix.
LAYOUTS = {
    "albert": ("AlbertModel", "AlbertForMaskedLM"),
    "bert": ("BertModel", "BertForMaskedLM"),
    "deberta-v2": ("DebertaV2Model", "DebertaV2ForSequenceClassification"),
    "distilbert": ("DistilBertModel", "DistilBertForSequenceClassification"),
    "electra": ("ElectraModel", "ElectraForPreTraining"),
    "gpt2": ("GPT2Model", "GPT2LMHeadModel"),
    "roberta": ("RobertaModel", "RobertaForMaskedLM", "RobertaForSequenceClassification"),
    "t5": ("T5EncoderModel",),
    "xlm-roberta": ("XLMRobertaModel", "XLMRobertaForMaskedLM"),
    "xlnet": ("XLNetModel", "XLNetForSequenceClassification"),
}
# Architectures with a final norm after the last layer: compare with the
# transformers model reloaded with one layer (these config arguments).
ONE_LAYER = {"gpt2": {"n_layer": 1}, "t5": {"num_layers": 1}}
CASES = [(arch, layout) for arch, layouts in LAYOUTS.items() for layout in layouts]


@pytest.fixture(scope="module", params=CASES, ids=[layout for _, layout in CASES])
def checkpoint(request, tmp_path_factory):
    model_type, layout = request.param
    directory = tmp_path_factory.mktemp(model_type) / layout
    return (model_type,) + hf.write_checkpoint(model_type, directory, layout=layout)


def test_hidden_states_match(checkpoint):
    assert hf.encoder_difference(*checkpoint[1:]) <= hf.TOLERANCE


def test_num_layers_override_loads_first_layers(checkpoint):
    model_type, directory, model = checkpoint
    if model_type in ONE_LAYER:
        truncated = type(model).from_pretrained(directory, **ONE_LAYER[model_type]).eval()
        difference = hf.encoder_difference(directory, truncated, num_layers=1)
    else:
        difference = hf.encoder_difference(directory, model, layer=1, num_layers=1)
    assert difference <= hf.TOLERANCE


@pytest.mark.parametrize("model_type", sorted(LAYOUTS))
def test_tokenizer_matches_transformers(model_type, tmp_path):
    directory, _ = hf.write_checkpoint(model_type, tmp_path / "checkpoint")
    ours, theirs = hf.tokenizer_ids(directory)
    assert ours == theirs
    slow = hf.copy_without(directory, tmp_path / "slow", "tokenizer.json")
    ours, theirs = hf.tokenizer_ids(slow)
    assert ours == theirs


@pytest.mark.parametrize("model_type, hidden_act", [
    ("bert", "gelu"), ("bert", "gelu_new"), ("albert", "gelu"), ("albert", "gelu_new"),
    ("electra", "gelu"),
])
def test_gelu_form_matches_checkpoint_with_large_weights(model_type, hidden_act, tmp_path):
    directory, model = hf.write_checkpoint(model_type, tmp_path / "large", hidden_act=hidden_act)
    hf.save_model(hf.scale_weights(model), directory)
    # Weights 5x larger give float32 rounding up to ~1e-5; the wrong GELU
    # form gives ~1e-3.
    assert hf.encoder_difference(directory, model) <= 5 * hf.TOLERANCE


@pytest.mark.parametrize("model_type, epsilon", [
    ("xlm-roberta", 1e-12), ("roberta", 1e-12), ("bert", 1e-3), ("electra", 1e-3),
    ("albert", 1e-3), ("xlnet", 1e-3),
])
def test_checkpoint_layer_norm_epsilon_is_used(model_type, epsilon, tmp_path):
    directory, model = hf.write_checkpoint(model_type, tmp_path / "eps", layer_norm_eps=epsilon)
    assert hf.encoder_difference(directory, model) <= hf.TOLERANCE
