"""Reading the verification message the way a person does: the link and the code."""

import re


def link_and_code(body: str) -> tuple[str, str]:
    link = re.search(r"(https?://\S+/ecpa/verify/[A-Za-z0-9_-]+)", body).group(1)
    code = re.search(r"認證碼：(\d{6})", body).group(1)
    return link, code


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]
