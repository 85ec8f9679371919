"""Object storage behind the S3 API, with an embedded directory store of the same shape.

Both stores hold objects in one bucket under keys such as ``raw/2026-11-02/call-1/recording.wav``.
Only the retention engine (``assets.retention.deletion``) calls ``remove``.
"""

from __future__ import annotations

import glob
import hashlib
import io
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from stat import S_ISREG
from typing import Protocol

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention

_PART_SIZE = 16 * 1024 * 1024

#: How long one S3 request may wait, and how often it is retried, before the call fails with a
#: StorageError naming the endpoint. (The minio client's own default is 5 minutes per attempt,
#: six attempts: a server that stops answering would hang a run for half an hour.)
S3_TIMEOUT = urllib3.Timeout(connect=5, read=30)
S3_RETRIES = urllib3.Retry(
    total=3, read=1, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]
)

#: Prefix of the local store's temporary files (``.incoming-<name>.<random>``).
_INCOMING = ".incoming-"


def _incoming_prefix(path: Path) -> str:
    # The object's name (shortened, so the temporary name stays within file name limits) ties a
    # leftover temporary file to its key.
    return f"{_INCOMING}{path.name[:120]}."


class StorageError(RuntimeError):
    """The object store could not do what was asked; the message says what and where."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified_at: datetime


@dataclass(frozen=True)
class StoredFile(ObjectInfo):
    """One thing the store holds, as the store-wide inventory sees it. ``problem`` says why
    lydspor cannot treat it as an object (a name it cannot address, a leftover of an
    interrupted write, something that is not a plain file); None for an ordinary object."""

    problem: str | None = None


@dataclass(frozen=True)
class PutResult:
    key: str
    size: int
    sha256: str


def validate_key(key: str) -> str:
    """Reject keys that could escape the bucket or confuse S3 listings."""
    path = PurePosixPath(key)
    if not key or key.startswith("/") or key.endswith("/") or ".." in path.parts or "\\" in key:
        raise StorageError(f"invalid object key {key!r}")
    if any(ord(ch) < 32 for ch in key):
        raise StorageError(f"object key {key!r} holds control characters")
    return key


class ObjectStore(Protocol):
    """What lydspor needs from object storage."""

    description: str

    def put_bytes(
        self, key: str, data: bytes, content_type: str = ..., *, sha256: str | None = None
    ) -> PutResult: ...
    def get_bytes(self, key: str) -> bytes: ...
    def stat(self, key: str) -> ObjectInfo | None: ...
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]: ...
    def inventory(self) -> Iterator[StoredFile]: ...
    def remove(self, key: str) -> None: ...
    def set_legal_hold(self, key: str, on: bool) -> bool: ...


class _Writes:
    """The write both stores share: the key checked, the object written by the store's own
    ``_write``, its size and SHA-256 reported."""

    def put_bytes(
        self,
        key: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        *,
        sha256: str | None = None,
    ) -> PutResult:
        """Write the object; ``sha256`` is the caller's hash of ``data``, when it has one
        (hashing a 5-minute call again costs as much as writing it)."""
        self._write(validate_key(key), data, content_type)
        return PutResult(key, len(data), sha256 or hashlib.sha256(data).hexdigest())

    def _write(self, key: str, data: bytes, content_type: str) -> None:
        raise NotImplementedError


class LocalObjectStore(_Writes):
    """The embedded default: a directory per bucket, written atomically."""

    def __init__(self, root: Path, bucket: str) -> None:
        self.base = Path(root) / bucket
        self.base.mkdir(parents=True, exist_ok=True)
        self.description = f"local directory {self.base}"

    def _path(self, key: str) -> Path:
        return self.base / validate_key(key)

    def _write(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.time()
        # Write to a temporary sibling and rename, so a crash never leaves half an object.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_incoming_prefix(path))
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        # A process killed while writing this key left its temporary file behind: a partial copy
        # no listing shows (and so no ledger or sweep would ever find). The write that
        # succeeds now replaces it.
        self._remove_leftovers(path, older_than=started)

    def _remove_leftovers(self, path: Path, older_than: float | None = None) -> None:
        for leftover in path.parent.glob(f"{glob.escape(_incoming_prefix(path))}*"):
            try:
                if older_than is None or leftover.stat().st_mtime < older_than:
                    leftover.unlink(missing_ok=True)
            except FileNotFoundError:
                continue

    def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise StorageError(f"no object {key!r} in {self.description}")
        return path.read_bytes()

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        st = path.stat()
        return ObjectInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        # Only walk the directory the prefix names, so a dated prefix stays cheap.
        start = self.base / prefix.rsplit("/", 1)[0] if "/" in prefix else self.base
        if not start.is_dir():
            return
        for path in sorted(start.rglob("*")):
            if not path.is_file() or path.name.startswith(_INCOMING):
                continue
            key = path.relative_to(self.base).as_posix()
            if key.startswith(prefix):
                st = path.stat()
                yield ObjectInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def inventory(self) -> Iterator[StoredFile]:
        """Everything under the bucket directory, whatever its name: the objects ``list``
        shows, and the files no key can reach (names ``validate_key`` rejects, names that are
        not UTF-8, ``.incoming-`` leftovers of killed writes, links and other non-files)."""
        for top, dirs, files in os.walk(self.base):
            for name in [*files, *(d for d in dirs if os.path.islink(os.path.join(top, d)))]:
                path = Path(top) / name
                rel = path.relative_to(self.base).as_posix()
                key, problem = _printable(rel)
                try:
                    st = path.lstat()
                except FileNotFoundError:
                    continue  # removed while walking
                if problem is None and not S_ISREG(st.st_mode):
                    problem = "not a plain file (a link, pipe or device)"
                if problem is None and name.startswith(_INCOMING):
                    problem = "leftover of an interrupted write"
                if problem is None:
                    problem = _unaddressable(key)
                yield StoredFile(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC), problem)

    def remove(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        # With the object go the partial copies of it an interrupted write left behind.
        if path.parent.is_dir():
            self._remove_leftovers(path)

    def set_legal_hold(self, key: str, on: bool) -> bool:
        """A directory has no object lock: holds live in the catalogue only."""
        return False


class S3ObjectStore(_Writes):
    """Any S3 API (MinIO in production, Ceph radosgw in the tests) through the minio client."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        *,
        secure: bool = False,
        region: str | None = None,
        object_lock: bool = False,
    ) -> None:
        self.client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region or None,
            http_client=urllib3.PoolManager(
                timeout=S3_TIMEOUT,
                retries=S3_RETRIES,
                maxsize=10,
                cert_reqs="CERT_REQUIRED",
                ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
            ),
        )
        self.bucket = bucket
        self.description = f"S3 bucket {bucket!r} at {'https' if secure else 'http'}://{endpoint}"
        self._call(self._ensure_bucket, "open bucket", object_lock)
        # A versioned bucket keeps old versions after a plain delete: deletion must remove
        # every version, or the customer's voice would survive its deadline.
        status = self._call(self.client.get_bucket_versioning, "read versioning", bucket).status
        self.versioned = status in {"Enabled", "Suspended"}
        self.object_lock = self.versioned and self._has_object_lock()

    def _ensure_bucket(self, object_lock: bool) -> None:
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket, object_lock=object_lock)

    def _has_object_lock(self) -> bool:
        try:
            self.client.get_object_lock_config(self.bucket)
        except S3Error:
            return False
        return True

    def _call(self, fn, what: str, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except S3Error:
            raise
        except Exception as exc:  # connection refused, DNS, TLS: say where it failed
            raise StorageError(f"could not {what} on {self.description}: {exc}") from exc

    def _write(self, key: str, data: bytes, content_type: str) -> None:
        self._call(
            self.client.put_object,
            f"write {key!r}",
            self.bucket,
            key,
            io.BytesIO(data),
            len(data),
            content_type=content_type,
            part_size=_PART_SIZE,
        )

    def get_bytes(self, key: str) -> bytes:
        validate_key(key)
        try:
            response = self._call(self.client.get_object, f"read {key!r}", self.bucket, key)
        except S3Error as exc:
            raise StorageError(f"no object {key!r} in {self.description}: {exc.code}") from exc
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def stat(self, key: str) -> ObjectInfo | None:
        validate_key(key)
        try:
            st = self._call(self.client.stat_object, f"stat {key!r}", self.bucket, key)
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject", "NotFound"}:
                return None
            raise StorageError(f"could not stat {key!r} on {self.description}: {exc}") from exc
        return ObjectInfo(key, st.size or 0, st.last_modified or datetime.now(UTC))

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        objects = self._call(
            self.client.list_objects, "list", self.bucket, prefix=prefix, recursive=True
        )
        try:
            for obj in objects:
                yield ObjectInfo(
                    obj.object_name, obj.size or 0, obj.last_modified or datetime.now(UTC)
                )
        except S3Error as exc:
            raise StorageError(f"could not list {prefix!r} on {self.description}: {exc}") from exc
        except Exception as exc:
            raise StorageError(f"could not list {prefix!r} on {self.description}: {exc}") from exc

    def inventory(self) -> Iterator[StoredFile]:
        """Every object in the bucket; a key ``validate_key`` rejects is flagged, since lydspor
        can neither read nor delete it through this store. In a versioned bucket a key counts
        as present while any version of it holds data, even behind a delete marker: a plain
        delete there leaves the bytes."""
        for obj in self._versions_held() if self.versioned else self.list(""):
            key, problem = _printable(obj.key)
            yield StoredFile(key, obj.size, obj.modified_at, problem or _unaddressable(key))

    def _versions_held(self) -> Iterator[ObjectInfo]:
        """One entry per key with a data version (not a delete marker), the newest version's."""
        versions = self._call(
            self.client.list_objects,
            "list versions",
            self.bucket,
            recursive=True,
            include_version=True,
        )
        newest: dict[str, ObjectInfo] = {}
        try:
            for v in versions:
                if v.is_delete_marker:
                    continue
                info = ObjectInfo(v.object_name, v.size or 0, v.last_modified or datetime.now(UTC))
                held = newest.get(info.key)
                if held is None or info.modified_at > held.modified_at:
                    newest[info.key] = info
        except Exception as exc:
            raise StorageError(f"could not list versions on {self.description}: {exc}") from exc
        yield from (newest[key] for key in sorted(newest))

    def remove(self, key: str) -> None:
        validate_key(key)
        if not self.versioned:
            self._call(self.client.remove_object, f"remove {key!r}", self.bucket, key)
            return
        versions = self._call(
            lambda: [
                v.version_id
                for v in self.client.list_objects(self.bucket, prefix=key, include_version=True)
                if v.object_name == key
            ],
            f"list versions of {key!r}",
        )
        for version in versions:
            try:
                self.client.remove_object(self.bucket, key, version_id=version)
            except S3Error as exc:
                raise StorageError(
                    f"could not delete version {version} of {key!r} on {self.description}: "
                    f"{exc.code}"
                ) from exc

    def put_retained(self, key: str, data: bytes, until: datetime) -> None:
        """Write ``key`` write-once: an object-lock retention in COMPLIANCE mode until ``until``,
        which no credential can shorten or lift (the bucket must have object lock)."""
        if not self.object_lock:
            raise StorageError(f"{self.description} has no object lock: nothing is write-once")
        self._call(
            self.client.put_object,
            f"write {key!r} write-once",
            self.bucket,
            validate_key(key),
            io.BytesIO(data),
            len(data),
            content_type="application/json",
            retention=Retention(COMPLIANCE, until),
            legal_hold=False,
        )

    def versions(self, prefix: str) -> list[tuple[str, bool]]:
        """Every version under ``prefix``, as (key, is a delete marker), delete markers included."""
        return self._call(
            lambda: [
                (v.object_name, bool(v.is_delete_marker))
                for v in self.client.list_objects(
                    self.bucket, prefix=prefix, recursive=True, include_version=True
                )
            ],
            f"list versions under {prefix!r}",
        )

    def set_legal_hold(self, key: str, on: bool) -> bool:
        """Set or clear the object's S3 legal hold; False where the bucket has no object lock."""
        if not self.object_lock:
            return False
        action = (
            self.client.enable_object_legal_hold if on else self.client.disable_object_legal_hold
        )
        self._call(action, f"set legal hold on {key!r}", self.bucket, key)
        return True


def _printable(name: str) -> tuple[str, str | None]:
    """A name as text that can be stored and shown, and the problem when it is not UTF-8 (a
    file name's undecodable bytes arrive as surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        return shown, "name is not UTF-8: the store cannot address it"
    return name, None


def key_problem(key: str) -> str | None:
    """Why :func:`validate_key` refuses ``key``, or None where the store can address it."""
    try:
        validate_key(key)
    except StorageError as exc:
        return str(exc)
    return None


def _unaddressable(key: str) -> str | None:
    problem = key_problem(key)
    return f"name the store cannot address ({problem})" if problem else None


def is_true(setting: str) -> bool:
    """A yes/no setting as environment variables write it ("1", "true", "yes"; any case)."""
    return setting.strip().lower() in {"1", "true", "yes"}


def open_store(
    endpoint: str,
    root: str,
    bucket: str,
    access_key: str = "",
    secret_key: str = "",
    secure: str = "false",
    region: str = "",
    object_lock: str = "false",
) -> ObjectStore:
    """The store the settings name: an S3 API at ``endpoint``, or, with no endpoint, the
    embedded directory store under ``root``. Settings arrive as the environment holds them."""
    if not endpoint:
        return LocalObjectStore(Path(root), bucket)
    return S3ObjectStore(
        endpoint,
        bucket,
        access_key,
        secret_key,
        secure=is_true(secure),
        region=region or None,
        object_lock=is_true(object_lock),
    )
