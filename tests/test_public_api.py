import kerasft


def test_every_public_name_resolves():
    for name in kerasft.__all__:
        assert getattr(kerasft, name) is not None, name


def test_version():
    assert kerasft.__version__.count(".") == 2
