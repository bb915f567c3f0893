"""Help and announcement bodies: Markdown rendered, then sanitised (nh3) — nothing that runs survives."""

from civlearn.content.markup import render


def test_markdown_is_rendered_with_headings_below_the_page_title():
    html = render("# 標題\n\n**粗體** 與 [連結](https://example.tw/a)\n\n| a | b |\n|---|---|\n| 1 | 2 |")

    assert "<h2>標題</h2>" in html
    assert "<strong>粗體</strong>" in html
    assert '<a href="https://example.tw/a" rel="noopener noreferrer">連結</a>' in html
    assert "<td>1</td>" in html


def test_scripts_event_handlers_and_script_links_are_removed():
    html = render(
        '<script>alert("x")</script>\n\n<img src="a.png" onerror="alert(1)">\n\n'
        '<a href="javascript:alert(1)">按</a> [按](javascript:alert(2))\n\n<iframe src="https://evil.example"></iframe>'
        '<p style="color:red" onclick="x()">段落</p>'
    )

    assert "script" not in html.lower().replace("javascript", "")
    assert "alert" not in html.replace("[按](javascript:alert(2))", "")
    assert "onerror" not in html and "onclick" not in html and "style" not in html
    assert "<iframe" not in html
    assert '<img src="a.png">' in html
    assert "<p>段落</p>" in html
