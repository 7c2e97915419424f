"""Document models: the four kinds of the config repository, as frozen pydantic v2 values.

Owns the *shape* of each document (field names, types, enums, per-document rules such as
"the storage block matches the storage type"). Cross-document rules (references,
uniqueness, residency) live in ``config.validate``; reading YAML lives in ``config.loader``.
Must not do I/O: secret references are declared here and resolved in ``config.secrets``.

YAML keys are camelCase (``kubeContext``); Python attributes are snake_case.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from reconciler.config.roles import Scope, scope_problem

API_VERSION = "flexctl/v1"

# Every pattern here is applied with ``fullmatch``: ``re.match`` with a trailing ``$`` accepts a
# final "\n" ("US\n" next to a managed "US"). Pydantic's ``pattern=`` uses the Rust engine,
# whose ``$`` is the end of the text, so those are full matches already.
# Names become file names, Kubernetes object names and URL path parts in rendered output:
# a DNS-1123 label keeps all three safe (no separators, no "..", bounded length).
NAME_MAX = 63
RELEASE_NAME_MAX = 53
_NAME_RE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
# Region names are chosen by the platform team and shown in the Airbyte UI; they also
# become folder names, so the same rule applies (case is kept: the API compares them
# case-insensitively through dataResidency).
_REGION_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?")
_EMAIL_RE = re.compile(r"[^@\s/]+@[^@\s/]+\.[^@\s/]+")
_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)

#: Regions Airbyte manages itself; a workspace may name one without declaring it.
MANAGED_REGIONS: dict[str, str | None] = {"US": "US", "EU": "EU", "auto": None}


def _check_name(value: str) -> str:
    if len(value) > NAME_MAX:
        raise ValueError(f"name is {len(value)} characters long; at most {NAME_MAX} are allowed")
    if not _NAME_RE.fullmatch(value):
        raise ValueError(
            f"name {value!r} must be lower-case letters, digits and '-', starting and ending "
            "with a letter or digit (it becomes a file and Kubernetes name)"
        )
    return value


#: Workspace names are shown, not used as file or Kubernetes names (``slug`` is): any name
#: the API accepts, as long as nothing in it can fool a reader or a terminal.
WORKSPACE_NAME_MAX = 256


#: Unicode categories a workspace name may not hold: controls, formats, line and paragraph
#: separators, private use, unassigned.
_HIDDEN_CATEGORIES = ("Cc", "Cf", "Zl", "Zp", "Co", "Cn")


def _check_workspace_name(value: str) -> str:
    if not value.strip() or len(value) > WORKSPACE_NAME_MAX:
        raise ValueError(f"workspace name must be 1 to {WORKSPACE_NAME_MAX} characters, not blank")
    if value != value.strip():
        raise ValueError(f"workspace name {value!r} starts or ends with white space")
    # Printable ASCII has none of these categories (ASCII's others are Cc): no per-character look.
    bad = (
        []
        if value.isascii() and value.isprintable()
        else [ch for ch in value if unicodedata.category(ch) in _HIDDEN_CATEGORIES]
    )
    if bad:
        raise ValueError(
            f"workspace name {value!r} contains {'control' if bad[0] < ' ' else 'invisible'} "
            f"character U+{ord(bad[0]):04X}"
        )
    return value


def fold_name(name: str) -> str:
    """The key two names are the same under: compatibility-normalised (NFKC: ``ﬁ`` is
    ``fi``, a full-width A (U+FF21) is ``A``) and case-folded (``STRASSE`` is ``straße``), as
    flexctl matches declared names to live ones. An ASCII name is its own NFKC form and
    ASCII's case folding is ``lower``: the same key without the normalisation call."""
    if name.isascii():
        return name.lower()
    return unicodedata.normalize("NFKC", name).casefold()


def slugify(name: str) -> str:
    """A DNS-1123 label for a display name: file names and Kubernetes names."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:NAME_MAX].rstrip("-")
    if not slug:
        slug = "workspace-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return slug


def _check_release_name(value: str) -> str:
    # Helm refuses release names over 53 characters (it suffixes them for its own objects).
    if len(value) > RELEASE_NAME_MAX:
        raise ValueError(
            f"release name is {len(value)} characters long; Helm allows at most {RELEASE_NAME_MAX}"
        )
    return _check_name(value)


def _check_region_name(value: str) -> str:
    if len(value) > NAME_MAX:
        raise ValueError(
            f"region name is {len(value)} characters long; at most {NAME_MAX} are allowed"
        )
    if not _REGION_RE.fullmatch(value):
        raise ValueError(
            f"region name {value!r} must be letters, digits and '-', starting and ending "
            "with a letter or digit (it becomes a folder name)"
        )
    return value


def _check_previous_dataplane_name(value: str) -> str:
    """``NAME`` (in the data plane's own region) or ``REGION/NAME`` (where it was before)."""
    region, _, name = value.rpartition("/")
    try:
        if region:
            _check_region_name(region)
        _check_name(name)
    except ValueError as exc:
        raise ValueError(f"previous name {value!r} is not NAME or REGION/NAME: {exc}") from None
    return value


def _check_email(value: str) -> str:
    """ASCII only, compared without case (see ``engine.live._users_by_email``).

    The server matches e-mails exactly, character for character: a look-alike (Cyrillic
    U+0430 for ``a``, ``ß``, a dotted ``İ``) or an invisible character names another account,
    or none, so such an e-mail is refused rather than normalised into a guess."""
    odd = (
        None
        if value.isascii() and value.isprintable()
        else next((ch for ch in value if not (ch.isascii() and ch.isprintable())), None)
    )
    if odd is not None:
        where = value.index(odd) + 1
        raise ValueError(
            f"e-mail {value!r} has {_describe(odd)} at character {where}: Airbyte matches "
            "e-mails exactly, so a look-alike or invisible character names a different "
            "account; write the address in ASCII (an international domain in its xn-- form)"
        )
    if not _EMAIL_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value.lower()


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else " (a control character)")


def _check_uuid(value: str) -> str:
    if not _UUID_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not a UUID")
    return value.lower()


Name = Annotated[str, AfterValidator(_check_name)]
WorkspaceName = Annotated[str, AfterValidator(_check_workspace_name)]
ReleaseName = Annotated[str, AfterValidator(_check_release_name)]
RegionName = Annotated[str, AfterValidator(_check_region_name)]
PreviousDataPlaneName = Annotated[str, AfterValidator(_check_previous_dataplane_name)]
Email = Annotated[str, AfterValidator(_check_email)]
Uuid = Annotated[str, AfterValidator(_check_uuid)]
Url = Annotated[str, Field(pattern=r"^https?://[^\s]+$")]
#: An https:// URL of a host (and port), nothing after it but an optional ``/``.
HTTPS_HOST_PATTERN = r"^https://[^\s/?#@]+/?$"
HttpsHostUrl = Annotated[str, Field(pattern=HTTPS_HOST_PATTERN)]


class Strict(BaseModel):
    """Base for every model: unknown keys are errors, values are frozen, YAML is camelCase."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=False,
    )


# --------------------------------------------------------------------------- secrets


class SecretRef(Strict):
    """Where a secret lives: an environment variable or a file. Never the value itself."""

    env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    file: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret reference takes exactly one of 'env' or 'file'")
        return self

    @model_validator(mode="before")
    @classmethod
    def _refuse_literal(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(
                "a secret must not be written in the config; use a reference such as "
                "{env: MY_VARIABLE} or {file: path/to/secret}"
            )
        return data

    def describe(self) -> str:
        return f"env:{self.env}" if self.env is not None else f"file:{self.file}"


#: A secret-bearing field. Annotated so the JSON Schema marks it for editors and tooling.
Secret = Annotated[SecretRef, Field(json_schema_extra={"x-flexctl-secret": True})]


# --------------------------------------------------------------------------- enums


class StorageType(StrEnum):
    S3 = "s3"
    GCS = "gcs"
    AZURE = "azure"
    MINIO = "minio"


class SecretsManagerType(StrEnum):
    AWS_SECRET_MANAGER = "AWS_SECRET_MANAGER"  # noqa: S105 - a type name, not a secret
    GOOGLE_SECRET_MANAGER = "GOOGLE_SECRET_MANAGER"  # noqa: S105
    AZURE_KEY_VAULT = "AZURE_KEY_VAULT"
    VAULT = "VAULT"


class Role(StrEnum):
    ORGANIZATION_ADMIN = "organization_admin"
    ORGANIZATION_EDITOR = "organization_editor"
    ORGANIZATION_RUNNER = "organization_runner"
    ORGANIZATION_READER = "organization_reader"
    ORGANIZATION_MEMBER = "organization_member"
    WORKSPACE_ADMIN = "workspace_admin"
    WORKSPACE_EDITOR = "workspace_editor"
    WORKSPACE_RUNNER = "workspace_runner"
    WORKSPACE_READER = "workspace_reader"

    @property
    def scope(self) -> Literal["organization", "workspace"]:
        return "organization" if self.value.startswith("organization_") else "workspace"


class Classification(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    SENSITIVE = "sensitive"


class SinkType(StrEnum):
    FILE = "file"
    KUBERNETES = "kubernetes"
    ENV_FILE = "env-file"
    VAULT = "vault"
    AWS_SECRETS_MANAGER = "aws-secrets-manager"
    GCP_SECRET_MANAGER = "gcp-secret-manager"  # noqa: S105 - a type name, not a secret
    AZURE_KEY_VAULT = "azure-key-vault"

    @property
    def local(self) -> bool:
        """Written only to this machine's disk: lost with a CI runner's file system."""
        return self in (SinkType.FILE, SinkType.ENV_FILE)

    @property
    def secrets_manager(self) -> bool:
        return self in (
            SinkType.VAULT,
            SinkType.AWS_SECRETS_MANAGER,
            SinkType.GCP_SECRET_MANAGER,
            SinkType.AZURE_KEY_VAULT,
        )


class GitOpsEngine(StrEnum):
    FLUX = "flux"
    ARGOCD = "argocd"
    NONE = "none"


#: The six notification events of the Airbyte API, in its own spelling.
NOTIFICATION_EVENTS = (
    "failure",
    "success",
    "connectionUpdate",
    "connectionUpdateActionRequired",
    "syncDisabled",
    "syncDisabledWarning",
)


# --------------------------------------------------------------------------- storage


class Buckets(Strict):
    """All four are required: the chart silently defaults a missing one to `airbyte-bucket`.
    ``auditLogging`` is read by chart 2.0 and later (required there, checked at render)."""

    log: str = Field(min_length=1)
    state: str = Field(min_length=1)
    workload_output: str = Field(min_length=1)
    activity_payload: str = Field(min_length=1)
    audit_logging: str | None = Field(default=None, min_length=1)


class S3Storage(Strict):
    region: str = Field(min_length=1)
    authentication_type: Literal["credentials", "instanceProfile"] = "credentials"
    access_key_id: Secret | None = None
    secret_access_key: Secret | None = None


class GcsStorage(Strict):
    project_id: str | None = None
    credentials_json: Secret | None = None


class AzureStorage(Strict):
    connection_string: Secret | None = None


class MinioStorage(Strict):
    endpoint: Url
    s3_path_style_access: StrictBool = True
    access_key_id: Secret | None = None
    secret_access_key: Secret | None = None


class Storage(Strict):
    type: StorageType
    buckets: Buckets
    s3: S3Storage | None = None
    gcs: GcsStorage | None = None
    azure: AzureStorage | None = None
    minio: MinioStorage | None = None

    @model_validator(mode="after")
    def _block_matches_type(self) -> Storage:
        _one_block(
            self,
            wanted=self.type.value,
            blocks=[t.value for t in StorageType],
            what="storage",
            kind=self.type.value,
        )
        return self


def _one_block(model: BaseModel, *, wanted: str, blocks: list[str], what: str, kind: str) -> None:
    """The block named after the type is present, and no other block is."""
    present = [b for b in blocks if getattr(model, b) is not None]
    others = [to_camel(b) for b in present if b != wanted]
    if others:
        raise ValueError(
            f"{what} type {kind!r} takes the '{to_camel(wanted)}' block, not "
            + ", ".join(repr(o) for o in others)
        )
    if wanted not in present:
        raise ValueError(f"{what} type {kind!r} needs the '{to_camel(wanted)}' block")


# --------------------------------------------------------------------------- secrets manager


class AwsSecretManager(Strict):
    region: str = Field(min_length=1)
    kms_arn: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    authentication_type: Literal["credentials", "instanceProfile"] = "credentials"
    access_key_id: Secret | None = None
    secret_access_key: Secret | None = None


class GoogleSecretManager(Strict):
    project_id: str = Field(min_length=1)
    region: str | None = None
    credentials: Secret | None = None


class AzureKeyVault(Strict):
    tenant_id: str = Field(min_length=1)
    vault_url: Url
    client_id: Secret | None = None
    client_secret: Secret | None = None


class Vault(Strict):
    address: Url
    prefix: str = "secret/"
    auth_token: Secret | None = None


_SM_ATTRS = {
    "AWS_SECRET_MANAGER": "aws_secret_manager",
    "GOOGLE_SECRET_MANAGER": "google_secret_manager",
    "AZURE_KEY_VAULT": "azure_key_vault",
    "VAULT": "vault",
}


class SecretsManager(Strict):
    """Shared by the control plane and every data plane: connector secrets live here."""

    type: SecretsManagerType
    aws_secret_manager: AwsSecretManager | None = None
    google_secret_manager: GoogleSecretManager | None = None
    azure_key_vault: AzureKeyVault | None = None
    vault: Vault | None = None

    @model_validator(mode="after")
    def _block_matches_type(self) -> SecretsManager:
        _one_block(
            self,
            wanted=_SM_ATTRS[self.type.value],
            blocks=list(_SM_ATTRS.values()),
            what="secretsManager",
            kind=self.type.value,
        )
        return self


# --------------------------------------------------------------------------- access


def _check_group_name(value: str) -> str:
    # The API takes any name of 1 to 256 characters; the workspace rule keeps it readable.
    try:
        return _check_workspace_name(value)
    except ValueError as e:
        raise ValueError(str(e).replace("workspace name", "group name", 1)) from None


GroupName = Annotated[str, AfterValidator(_check_group_name)]


class Grant(Strict):
    """A role for a user (``user: e-mail``) or for a declared Group (``group: name``)."""

    user: Email | None = None
    group: GroupName | None = None
    role: Role

    @model_validator(mode="after")
    def _one_grantee(self) -> Grant:
        if (self.user is None) == (self.group is None):
            raise ValueError("an access entry names exactly one of 'user' and 'group'")
        return self

    @property
    def grantee(self) -> tuple[str, str]:
        """("user", e-mail) or ("group", name): what one access list may name once."""
        if self.user is not None:
            return ("user", self.user)
        assert self.group is not None
        return ("group", self.group)


def _scoped(scope: Scope) -> BeforeValidator:
    """On the role, so the error points at the role's value, and lists the roles of the
    scope (not all nine) with "did you mean"."""

    roles = [role.value for role in Role]
    allowed = frozenset(role for role in roles if role.startswith(f"{scope}_"))

    def check(value: Any) -> Any:
        if type(value) is str and value in allowed:
            return value  # scope_problem's first answer, without building its lists
        problem = scope_problem(value, scope, roles=roles)
        if problem is not None:
            raise ValueError(problem)
        return value

    return BeforeValidator(check)


class OrganizationGrant(Grant):
    role: Annotated[Role, _scoped("organization")]


class WorkspaceGrant(Grant):
    role: Annotated[Role, _scoped("workspace")]


# --------------------------------------------------------------------------- documents


class DocumentBase(Strict):
    api_version: Literal["flexctl/v1"]
    #: A protected object is never deleted by flexctl, even after its file is removed.
    protect: StrictBool = False


class ControlPlane(Strict):
    """How flexctl reaches the control plane's public API. Absent: the environment, else (only
    outside CI) the embedded control plane; ``embedded: true`` chooses the embedded one always."""

    url: Url | None = None
    client_id: Secret | None = None
    client_secret: Secret | None = None
    #: Use the embedded control plane in the state directory, in CI too (demos, tests).
    embedded: StrictBool = False

    @model_validator(mode="after")
    def _embedded_alone(self) -> ControlPlane:
        given = [
            name
            for name, value in (
                ("url", self.url),
                ("clientId", self.client_id),
                ("clientSecret", self.client_secret),
            )
            if value is not None
        ]
        if self.embedded and given:
            raise ValueError(
                f"embedded: true uses the embedded control plane, so {', '.join(given)} "
                "cannot be set with it; remove one or the other"
            )
        return self


class PrunePolicy(Strict):
    """Per kind: may flexctl delete live objects it manages that the config no longer declares."""

    regions: StrictBool = False
    data_planes: StrictBool = False
    workspaces: StrictBool = False
    permissions: StrictBool = False
    #: Groups whose document was removed (their members and roles go with them).
    groups: StrictBool = False


class ResidencyPolicy(Strict):
    """Workspaces whose classification is listed must run on a self-managed region whose
    jurisdiction equals the workspace's own; their connections are audited too
    (``core.residency``: PII as cursor or primary key, PII reaching the destination unhashed)."""

    self_managed_required_for: list[Classification] = Field(
        default_factory=lambda: [Classification.SENSITIVE]
    )
    #: The connection audit's findings are errors (plan exits 1, apply refuses), not warnings.
    enforce: StrictBool = False


class ExternalSecretsConfig(Strict):
    """Render an ExternalSecret per data plane that reads from this store."""

    store_name: str = Field(min_length=1)
    store_kind: Literal["SecretStore", "ClusterSecretStore"] = "ClusterSecretStore"
    #: Remote keys are ``<keyPrefix>/<region>/<dataplane>``; flexctl's sinks do not write there.
    key_prefix: str = "airbyte/dataplanes"
    refresh_interval: str = "1h"


class GitOpsConfig(Strict):
    engine: GitOpsEngine = GitOpsEngine.FLUX
    #: Absent: where Airbyte publishes the data plane's chart version (1.8: the "v1"
    #: repository helm-charts, 2.x: the "v2" repository charts). Set it for a mirror.
    helm_repository: Url | None = None
    #: Namespace where Flux / Argo CD objects live; defaults to the engine's own namespace
    #: (`argocd` for Argo CD, `flux-system` otherwise).
    namespace: Name = "flux-system"

    @model_validator(mode="before")
    @classmethod
    def _engine_namespace(cls, data: Any) -> Any:
        if isinstance(data, dict) and "namespace" not in data and data.get("engine") == "argocd":
            return {**data, "namespace": "argocd"}
        return data


class StateConfig(Strict):
    """Where flexctl keeps its inventory, journal, lock and audit log, shared by every runner:
    ``local`` (the state directory), ``s3://BUCKET/PREFIX`` or ``git+URL#REF``.
    ``--state`` and ``FLEXCTL_STATE`` override it."""

    url: str = Field(min_length=1)

    @field_validator("url")
    @classmethod
    def _parse(cls, value: str) -> str:
        from reconciler.errors import StateError
        from reconciler.state.url import parse_state_url

        try:
            parse_state_url(value, origin="state.url")
        except StateError as e:
            raise ValueError(str(e).removeprefix("state.url: ")) from e
        return value


class Organization(DocumentBase):
    kind: Literal["Organization"]
    name: Name
    organization_id: Uuid
    control_plane: ControlPlane = Field(default_factory=ControlPlane)
    #: URL the data planes use to reach the control plane (chart value `airbyteUrl`).
    airbyte_url: Url
    secrets_manager: SecretsManager
    default_storage: Storage | None = None
    prune: PrunePolicy = Field(default_factory=PrunePolicy)
    state: StateConfig | None = None
    residency: ResidencyPolicy = Field(default_factory=ResidencyPolicy)
    external_secrets: ExternalSecretsConfig | None = None
    gitops: GitOpsConfig = Field(default_factory=GitOpsConfig)
    access: list[OrganizationGrant] = Field(default_factory=list)
    #: The credential sink of every data plane that names none.
    credentials: CredentialSink | None = None

    @field_validator("airbyte_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        # The chart string-concatenates "<airbyteUrl>/api": a trailing slash breaks every call.
        if value.endswith("/"):
            raise ValueError("airbyteUrl must not end with '/' (the chart appends '/api' to it)")
        return value


class Region(DocumentBase):
    kind: Literal["Region"]
    name: RegionName
    #: Names this region had before: the live region is renamed (PATCH), never re-created.
    previous_names: list[RegionName] = Field(default_factory=list)
    enabled: StrictBool = True
    #: Legal jurisdiction of the infrastructure behind this region (ISO-like code: US, AU, EU).
    jurisdiction: str = Field(pattern=r"^[A-Z]{2,3}$")


class Cluster(Strict):
    kube_context: str = Field(min_length=1)
    namespace: Name
    release_name: ReleaseName


#: Placeholders a secrets-manager path template may use (folded into a unique path each).
SINK_PATH_TEMPLATE = "airbyte/dataplanes/{region}/{dataplane}"


def _check_placeholders(value: str) -> None:
    unknown = set(re.findall(r"\{([^}]*)\}", value)) - {"region", "dataplane"}
    if unknown:
        raise ValueError(
            f"unknown placeholder(s) {', '.join(sorted('{' + u + '}' for u in unknown))}; "
            "use {region} and {dataplane}"
        )


def _check_template(value: str) -> str:
    _check_placeholders(value)
    if value.startswith("/") or value.endswith("/") or "//" in value:
        raise ValueError("the path must not start or end with '/' nor contain '//'")
    return value


PathTemplate = Annotated[str, Field(min_length=1), AfterValidator(_check_template)]


def dataplane_stem(region: str, dataplane: str) -> str:
    """``<region>--<dataplane>``: the folder under ``--out`` and the file stem of its sinks.

    Injective: both names may hold ``--``, so ``a--b``/``c`` and ``a``/``b--c`` would share
    ``a--b--c``. A region holding ``--`` is written with ``_`` for each ``-`` (no name holds
    ``_``), so the first ``--`` always ends the region; every other stem stays as it was.
    """
    shown = region.replace("-", "_") if "--" in region else region
    return f"{shown}--{dataplane}"


def fill_template(template: str, *, region: str, dataplane: str) -> str:
    """A sink path / name template with ``{region}`` and ``{dataplane}`` filled in."""
    return template.replace("{region}", region).replace("{dataplane}", dataplane)


class VaultAuth(Strict):
    """How flexctl logs in to Vault: every credential by reference, never literal."""

    method: Literal["token", "approle", "kubernetes"] = "token"
    token: Secret | None = None
    role_id: Secret | None = None
    secret_id: Secret | None = None
    #: kubernetes: the Vault role, and the service account token (default: the pod's own).
    role: str | None = None
    jwt: Secret | None = None
    #: Where the auth method is mounted (default: its name, ``approle`` / ``kubernetes``).
    mount: str | None = None

    @model_validator(mode="after")
    def _fields_of_method(self) -> VaultAuth:
        needs = {"token": ["token"], "approle": ["role_id", "secret_id"], "kubernetes": ["role"]}
        missing = [to_camel(f) for f in needs[self.method] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"vault auth {self.method!r} needs {', '.join(missing)}")
        return self


class VaultSink(Strict):
    address: Url
    #: The KV v2 secrets engine's mount.
    mount: str = Field(default="secret", pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
    path: PathTemplate = SINK_PATH_TEMPLATE
    #: Vault Enterprise / OpenBao namespace.
    namespace: str | None = None
    auth: VaultAuth


class AwsSecretsManagerSink(Strict):
    region: str = Field(min_length=1)
    name: PathTemplate = SINK_PATH_TEMPLATE
    #: For a local or private endpoint; absent: the standard one (or ``AWS_ENDPOINT_URL``).
    endpoint_url: Url | None = None
    kms_key_id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


def _name_template(allowed: str, what: str, words: str) -> AfterValidator:
    """A template whose text outside ``{region}``/``{dataplane}`` uses only ``allowed``
    characters (the placeholders fill in names that already do)."""
    pattern = re.compile(f"[{allowed}]*")  # fullmatch: "$" would allow a final "\n"

    def check(value: str) -> str:
        _check_placeholders(value)
        literal = value.replace("{region}", "").replace("{dataplane}", "")
        if not pattern.fullmatch(literal):
            bad = sorted({c for c in literal if not pattern.fullmatch(c)})
            raise ValueError(
                f"{what} may contain only {words} besides {{region}} and {{dataplane}}; "
                f"not {', '.join(repr(c) for c in bad)}"
            )
        return value

    return AfterValidator(check)


#: GCP secret ids: letters, digits, ``_`` and ``-`` (1-255). ``_`` separates the parts
#: because region and data-plane names never contain one: every data plane gets its own id.
GCP_SECRET_ID_TEMPLATE = "airbyte_{region}_{dataplane}"  # noqa: S105 - a name template
GCP_SECRET_ID_MAX = 255
#: Key Vault secret names: letters, digits and ``-`` only (1-127).
AZURE_SECRET_NAME_TEMPLATE = "airbyte-{region}--{dataplane}"  # noqa: S105 - a name template
AZURE_SECRET_NAME_MAX = 127

GcpSecretIdTemplate = Annotated[
    str,
    Field(min_length=1),
    _name_template("A-Za-z0-9_-", "a Secret Manager secret id", "letters, digits, '_' and '-'"),
]
AzureSecretNameTemplate = Annotated[
    str,
    Field(min_length=1),
    _name_template("A-Za-z0-9-", "a Key Vault secret name", "letters, digits and '-'"),
]


class GcpSecretManagerSink(Strict):
    #: The project id (or number) the secrets live in.
    project: str = Field(pattern=r"^[a-z0-9][a-z0-9.:-]{0,62}$")
    secret_id: GcpSecretIdTemplate = GCP_SECRET_ID_TEMPLATE
    #: On create: keep the replicas in this one location (user-managed replication, for
    #: residency); absent: automatic replication.
    location: str | None = Field(default=None, pattern=r"^[a-z0-9-]+$")
    #: On create; Secret Manager label rules (lower case).
    labels: dict[
        Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,62}$")],
        Annotated[str, Field(pattern=r"^[a-z0-9_-]{0,63}$")],
    ] = Field(default_factory=dict)
    #: A credentials JSON (service account key, workload identity federation) by reference;
    #: absent: Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``, the
    #: metadata server, gcloud).
    credentials: Secret | None = None
    #: A private endpoint (``https://secretmanager-....p.googleapis.com``) or, in tests, a
    #: local emulation; absent: the public one.
    endpoint: Url | None = None


class AzureKeyVaultAuth(Strict):
    """How flexctl logs in to Key Vault: ``default`` is ``DefaultAzureCredential`` (environment,
    workload identity, managed identity, Azure CLI); ``client-secret`` a service principal
    whose secret comes from a reference."""

    method: Literal["default", "client-secret"] = "default"
    tenant_id: str | None = Field(default=None, min_length=1)
    client_id: str | None = Field(default=None, min_length=1)
    client_secret: Secret | None = None
    #: The Entra ID authority (sovereign clouds, Azure Stack); absent: the public cloud's.
    authority_host: Url | None = None

    @model_validator(mode="after")
    def _fields_of_method(self) -> AzureKeyVaultAuth:
        fields = ["tenant_id", "client_id", "client_secret"]
        if self.method == "client-secret":
            missing = [to_camel(f) for f in fields if getattr(self, f) is None]
            if missing:
                raise ValueError(f"azure auth 'client-secret' needs {', '.join(missing)}")
        else:
            extra = [to_camel(f) for f in fields if getattr(self, f) is not None]
            if extra:
                raise ValueError(
                    f"azure auth 'default' takes no {', '.join(extra)} (DefaultAzureCredential "
                    "reads AZURE_TENANT_ID, AZURE_CLIENT_ID, ... from the environment)"
                )
        return self


class AzureKeyVaultSink(Strict):
    #: ``https://<vault>.vault.azure.net`` (Key Vault takes bearer tokens over TLS only).
    vault_url: HttpsHostUrl
    name: AzureSecretNameTemplate = AZURE_SECRET_NAME_TEMPLATE
    #: On every write (Key Vault keeps tags per version); at most 15.
    tags: dict[str, str] = Field(default_factory=dict, max_length=15)
    auth: AzureKeyVaultAuth = Field(default_factory=AzureKeyVaultAuth)


class SecretStoreRef(Strict):
    """The SecretStore the rendered ExternalSecret reads the sink's secret through."""

    name: str = Field(min_length=1)
    kind: Literal["SecretStore", "ClusterSecretStore"] = "ClusterSecretStore"


class CredentialSink(Strict):
    #: ``existing``: the data plane runs with credentials flexctl does not hold (adopted by
    #: ``flexctl import``; the API never returns them). Nothing is rotated for it until
    #: ``--rotate``; the rest of the block (if any) is where a rotation delivers them.
    adopt: Literal["existing"] | None = None
    type: SinkType = SinkType.FILE
    #: Only for `env-file`: where to write it (relative to the state directory).
    path: str | None = None
    vault: VaultSink | None = None
    aws_secrets_manager: AwsSecretsManagerSink | None = None
    gcp_secret_manager: GcpSecretManagerSink | None = None
    azure_key_vault: AzureKeyVaultSink | None = None
    #: Secrets-manager sinks: the store the ExternalSecret uses (default: the Organization's
    #: ``externalSecrets`` store, else ClusterSecretStore ``flexctl-<type>``).
    store: SecretStoreRef | None = None

    @model_validator(mode="after")
    def _path_only_for_env_file(self) -> CredentialSink:
        if self.type is SinkType.ENV_FILE and not self.path:
            raise ValueError("an env-file sink needs a 'path'")
        if self.type is not SinkType.ENV_FILE and self.path is not None:
            raise ValueError(f"a {self.type.value} sink takes no 'path'")
        if self.path is not None and (self.path.startswith("/") or ".." in self.path.split("/")):
            raise ValueError("the env-file path must stay inside the state directory")
        for block in ("vault", "aws_secrets_manager", "gcp_secret_manager", "azure_key_vault"):
            wanted = block.replace("_", "-") == self.type.value
            present = getattr(self, block) is not None
            if wanted and not present:
                raise ValueError(f"a {self.type.value} sink needs the '{to_camel(block)}' block")
            if present and not wanted:
                raise ValueError(f"a {self.type.value} sink takes no '{to_camel(block)}' block")
        if self.store is not None and not self.type.secrets_manager:
            raise ValueError(f"a {self.type.value} sink takes no 'store'")
        return self


class DataPlane(DocumentBase):
    kind: Literal["DataPlane"]
    name: Name
    #: Names this data plane had before (``NAME`` in its region, or ``REGION/NAME``): the live
    #: data plane is renamed (PATCH), keeping its id and credentials. The API cannot move a
    #: data plane to another region: a ``REGION/NAME`` elsewhere is planned as a new one.
    previous_names: list[PreviousDataPlaneName] = Field(default_factory=list)
    region: RegionName
    enabled: StrictBool = True
    cluster: Cluster
    chart_version: str = Field(default="1.8.1", pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")
    #: Absent: the organisation's default storage.
    storage: Storage | None = None
    #: Absent: the organisation's. Present: must equal it (control and data planes share it).
    secrets_manager: SecretsManager | None = None
    #: Absent: the Organization's ``credentials`` (default sink), else ``file``.
    credentials: CredentialSink | None = None
    #: Free-form chart values merged on top of what flexctl renders; checked against the chart.
    values: dict[str, Any] = Field(default_factory=dict)

    @property
    def own_sink(self) -> CredentialSink | None:
        """The sink this document names (``credentials`` beyond ``adopt``), else None."""
        sink = self.credentials
        if sink is None or not sink.model_fields_set - {"adopt"}:
            return None
        return sink

    @property
    def adopts_existing(self) -> bool:
        """Running with credentials flexctl does not hold (``credentials.adopt: existing``)."""
        return self.credentials is not None and self.credentials.adopt == "existing"


class EmailNotification(Strict):
    enabled: StrictBool = True


class WebhookNotification(Strict):
    enabled: StrictBool = True
    #: Webhook URLs (Slack, Teams) carry a token: they are secrets.
    url: Secret | None = None


class Notification(Strict):
    email: EmailNotification | None = None
    webhook: WebhookNotification | None = None


class Notifications(Strict):
    failure: Notification | None = None
    success: Notification | None = None
    connection_update: Notification | None = None
    connection_update_action_required: Notification | None = None
    sync_disabled: Notification | None = None
    sync_disabled_warning: Notification | None = None


class HashMethod(StrEnum):
    """The hashing mapper's ``method`` values (public API ``HashingMapperConfiguration``)."""

    MD2 = "MD2"
    MD5 = "MD5"
    SHA_1 = "SHA-1"
    SHA_224 = "SHA-224"
    SHA_256 = "SHA-256"
    SHA_384 = "SHA-384"
    SHA_512 = "SHA-512"


class PiiRule(Strict):
    """Fields of the streams a glob names (``users``, ``*``) that hold personal data. A field is
    a top-level name or a glob (``*email*``); a glob matches the fields a connection's
    configuration names (see docs/configuration.md)."""

    stream: str = Field(min_length=1)
    fields: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)


class HashingPolicy(Strict):
    """Hash every PII field of every connection of the workspace with this method; the hashed
    column is the field's name plus ``fieldNameSuffix``."""

    method: HashMethod = HashMethod.SHA_256
    field_name_suffix: str = "_hashed"


class Workspace(DocumentBase):
    kind: Literal["Workspace"]
    #: As shown in Airbyte; matched case-insensitively, as the server compares names.
    name: WorkspaceName
    #: The name where it becomes a file or Kubernetes name (default: derived from ``name``).
    slug: Name | None = None
    #: Names this workspace had before: the live workspace is renamed, never re-created.
    previous_names: list[WorkspaceName] = Field(default_factory=list)
    #: A declared Region, or an Airbyte-managed one (US, EU, auto).
    region: RegionName
    classification: Classification = Classification.INTERNAL
    #: Where this workspace's data must stay; checked against the region by residency policy.
    jurisdiction: str | None = Field(default=None, pattern=r"^[A-Z]{2,3}$")
    notifications: Notifications = Field(default_factory=Notifications)
    access: list[WorkspaceGrant] = Field(default_factory=list)
    #: Which fields of this workspace's connections hold personal data.
    pii: list[PiiRule] = Field(default_factory=list)
    #: Hash the ``pii`` fields in every connection (UI-made ones too); absent: no hashing.
    hashing: HashingPolicy | None = None

    @property
    def safe_name(self) -> str:
        return self.slug or slugify(self.name)


class GroupRole(Strict):
    """A role the group holds: on a workspace (``workspace: NAME``, a ``workspace_*`` role) or,
    without ``workspace``, on the organisation (an ``organization_*`` role)."""

    workspace: WorkspaceName | None = None
    role: Role

    @model_validator(mode="after")
    def _scope(self) -> GroupRole:
        if self.workspace is None and self.role.scope == "workspace":
            raise ValueError(f"{self.role.value} is a workspace role: name the 'workspace'")
        if self.workspace is not None and self.role.scope == "organization":
            raise ValueError(f"{self.role.value} is an organisation role: leave out 'workspace'")
        return self


class Group(DocumentBase):
    """A group of the organisation: its members by e-mail and its roles. A SCIM-managed group
    (``scim: true``) gets its members from the identity provider: flexctl manages its roles
    only, never its membership, name or description (the API answers 409 to those)."""

    kind: Literal["Group"]
    #: As shown in Airbyte; matched case-insensitively, like workspace names.
    name: GroupName
    description: str | None = Field(default=None, max_length=1024)
    members: list[Email] = Field(default_factory=list)
    scim: StrictBool = False
    roles: list[GroupRole] = Field(default_factory=list)

    @model_validator(mode="after")
    def _scim_members(self) -> Group:
        if self.scim and (self.members or self.description is not None):
            raise ValueError(
                "a SCIM-managed group (scim: true) takes its members and description from "
                "the identity provider: remove 'members' and 'description'"
            )
        return self


Document = Organization | Region | DataPlane | Workspace | Group
KINDS: dict[str, type[DocumentBase]] = {
    "Organization": Organization,
    "Region": Region,
    "DataPlane": DataPlane,
    "Workspace": Workspace,
    "Group": Group,
}
