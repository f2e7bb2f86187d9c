"""Which push endpoints the server may post to, and how a device is named in the patient's list."""

from __future__ import annotations

import pytest

from reactions.domain.push import device_label, endpoint_allowed, host_allowed, valid_auth, valid_p256dh

HOSTS = ["fcm.googleapis.com", "*.push.apple.com"]


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("fcm.googleapis.com", True),
        ("FCM.googleapis.com.", True),
        ("web.push.apple.com", True),
        ("push.apple.com", False),  # "*." means a subdomain
        ("evilpush.apple.com", False),
        ("push.apple.com.evil.example", False),
        ("googleapis.com", False),
    ],
)
def test_host_allowed(host, allowed):
    assert host_allowed(host, HOSTS) is allowed


def test_an_endpoint_must_be_plain_https_on_an_allowed_host():
    assert endpoint_allowed("https://fcm.googleapis.com/fcm/send/abc", HOSTS)
    assert endpoint_allowed("https://fcm.googleapis.com:443/fcm/send/abc", HOSTS)
    assert not endpoint_allowed("http://fcm.googleapis.com/fcm/send/abc", HOSTS)
    assert not endpoint_allowed("https://fcm.googleapis.com:444/fcm/send/abc", HOSTS)
    assert not endpoint_allowed("https://a@fcm.googleapis.com/fcm/send/abc", HOSTS)
    assert not endpoint_allowed("https://[::1]/x", HOSTS)
    assert not endpoint_allowed("https://fcm.googleapis.com:notaport/x", HOSTS)


def test_keys_have_the_sizes_browsers_give():
    point = "B" + "A" * 86  # base64url of 65 bytes starting 0x04
    assert valid_p256dh(point) and not valid_p256dh(point[:-4]) and not valid_p256dh("C" + point[1:])
    assert (
        valid_auth("A" * 22) and valid_auth("A" * 22 + "==") and not valid_auth("A" * 21) and not valid_auth("A+" * 11)
    )


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
            "Mobile Safari/537.36",
            "Chrome · Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari · iPhone",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox · Linux"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
            "Safari/537.36 Edg/131.0.0.0",
            "Edge · Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
            "Samsung Internet · Android",
        ),
        ("", ""),
        ("curl/8.5.0", ""),
    ],
)
def test_device_label(user_agent, label):
    assert device_label(user_agent) == label
