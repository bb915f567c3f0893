from django.contrib.auth.hashers import Argon2PasswordHasher

from civlearn.identity.hashers import TunedArgon2PasswordHasher


def test_tuned_hasher_uses_the_configured_argon2id_cost(settings):
    settings.ARGON2_TIME_COST = 3
    settings.ARGON2_MEMORY_KIB = 8192
    hasher = TunedArgon2PasswordHasher()

    encoded = hasher.encode("Civ!learn2026", hasher.salt())

    assert encoded.startswith("argon2$argon2id$v=19$m=8192,t=3,p=1$")
    assert hasher.verify("Civ!learn2026", encoded)
    assert not hasher.verify("Civ!learn2027", encoded)


def test_hashes_made_with_django_defaults_still_verify_and_are_marked_for_upgrade(settings):
    settings.ARGON2_TIME_COST = 2
    settings.ARGON2_MEMORY_KIB = 19456
    old = Argon2PasswordHasher()
    encoded = old.encode("Civ!learn2026", old.salt())
    tuned = TunedArgon2PasswordHasher()

    assert tuned.verify("Civ!learn2026", encoded)
    assert tuned.must_update(encoded)
    assert not tuned.must_update(tuned.encode("Civ!learn2026", tuned.salt()))
