from civlearn.core.text import VARIANTS, search_fold


def test_variants_fold_alike():
    assert search_fold("國立台中科技大學") == search_fold("國立臺中科技大學") == "國立臺中科技大學"
    assert search_fold("台北市") == search_fold("臺北市")
    assert search_fold("裡") == search_fold("裏")


def test_width_case_and_spaces():
    assert search_fold("ＡＩ 環境　教育") == "ai環境教育"
    assert search_fold(None) == ""


def test_folding_is_stable():
    # Folding twice changes nothing: a stored folded field can be compared with a folded query.
    for source, target in VARIANTS.items():
        assert search_fold(search_fold(source)) == search_fold(source) == target
        assert source != target
