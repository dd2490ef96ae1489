"""The site's own style sheet and scripts are addressed by their bytes, so the edge and browsers keep them."""
from __future__ import annotations

import re


def test_pages_link_versioned_assets_kept_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert links and all(re.search(r"\?v=[0-9a-f]{12}$", link) for link in links), links
    for link in links:
        response = client.get(link)
        response.close()  # a file is streamed: let it go
        assert response.status_code == 200
        control = response.headers["Cache-Control"]
        assert "public" in control and "max-age=31536000" in control and "immutable" in control


def test_a_bare_or_stale_address_is_revalidated(client):
    for path in ("/static/live.js", "/static/live.js?v=000000000000"):
        response = client.get(path)
        response.close()
        assert response.status_code == 200
        assert "immutable" not in response.headers.get("Cache-Control", ""), path
