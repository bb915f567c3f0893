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


def test_search_grams_are_the_distinct_two_character_pieces_in_order():
    from civlearn.core.text import search_grams

    assert search_grams(search_fold("台中市 台中")) == "臺中 中市 市臺"
    assert search_grams("班") == "班"
    assert search_grams("") == ""
    # every piece of a folded keyword is a piece of a folded text containing it
    text, keyword = search_fold("臺中氣候變遷與環境教育研習班"), search_fold("變遷與環境")
    assert keyword in text and set(search_grams(keyword).split()) <= set(search_grams(text).split())
