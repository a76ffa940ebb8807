# 惠企通 Huiqitong — set-up, run and test. `make run` brings the system up; `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV      := .venv
RVENV     := .venv-rasa
PY        := $(VENV)/bin/python
RASA      := $(RVENV)/bin/rasa
SEEDS     ?= ../shared/seeds
CURATED   := policies_kb/curated/measures.yaml
# How documents become items: a change re-imports the seeds (items, kinds and fields follow the parser).
KB_PARSER := policies_kb/parse.py policies_kb/formats.py policies_kb/kinds.py policies_kb/conditions.py
export HUIQI_DATA_DIR ?= $(CURDIR)/var
export HUIQI_DEMO_MODE ?= 1
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# No Rasa telemetry or error reports from anything make starts (huiqi.botmodel.rasa_env does the same for the services).
export RASA_TELEMETRY_ENABLED := false

# `make test` runs its own services on other ports and a throw-away data dir, so that it never
# touches the data of a running `make run`.
# The ports can be moved (TEST_RASA_PORT=... make test) when two checkouts test on one machine.
TEST_RASA_PORT   ?= 15005
TEST_ACTION_PORT ?= 15055
TEST_API_PORT    ?= 18000
TEST_DATA := $(HUIQI_DATA_DIR)/test-services
TEST_ENV  := HUIQI_DATA_DIR=$(TEST_DATA) HUIQI_RASA_MODELS_DIR=$(HUIQI_DATA_DIR)/rasa-models \
             HUIQI_RASA_PORT=$(TEST_RASA_PORT) HUIQI_ACTION_PORT=$(TEST_ACTION_PORT) HUIQI_API_PORT=$(TEST_API_PORT) \
             HUIQI_DEMO_MODE=1 HUIQI_REVIEWED_NLU_FILE=$(TEST_DATA)/reviewed.yml

# Print how long a stage took: $(call timed,name,command)
timed = start=$$(date +%s); $(2); echo "[stage] $(1): $$(( $$(date +%s) - start ))s"

.PHONY: help setup run stop test test-unit test-bot test-services train encoder index demo-data bench clean browser

help:
	@echo "make run    — 安装依赖、构建政策索引、训练对话模型、写入演示数据并启动三个服务"
	@echo "make test   — 安装依赖并运行全部测试（单元、集成、Rasa 校验与测试故事、端到端）"
	@echo "make stop   — 停止 make run 启动的服务"
	@echo "其他：setup encoder train index demo-data bench clean"

# ---------------------------------------------------------------- set-up (re-installs only on change)
setup: $(VENV)/.installed $(RVENV)/.installed

$(VENV)/.installed: requirements/app.txt requirements/app.lock
	@py=$$(scripts/find-python.sh 3.11); \
	[ -x $(PY) ] || "$$py" -m venv $(VENV) || { echo "错误：无法创建虚拟环境 $(VENV)（需要 Python 3.11 的 venv 模块）。" >&2; exit 1; }; \
	$(PY) -m pip install -qq pip==24.3.1 wheel==0.45.1; \
	$(PY) -m pip install -qq torch==2.13.0 || { echo "错误：安装 torch==2.13.0（CPU 版）失败，请检查网络或 pip 源后重试。" >&2; exit 1; }; \
	$(PY) -m pip install -qq -r requirements/app.txt -c requirements/app.lock || { echo "错误：安装 requirements/app.txt 失败，请查看上面的 pip 输出。" >&2; exit 1; }
	@touch $@

$(RVENV)/.installed: requirements/rasa.txt requirements/rasa.lock
	@py=$$(scripts/find-python.sh 3.10); \
	[ -x $(RVENV)/bin/python ] || "$$py" -m venv $(RVENV) || { echo "错误：无法创建虚拟环境 $(RVENV)（需要 Python 3.10 的 venv 模块）。" >&2; exit 1; }; \
	$(RVENV)/bin/python -m pip install -qq pip==24.3.1 setuptools==70.3.0 wheel==0.45.1; \
	$(RVENV)/bin/python -m pip install -qq -r requirements/rasa.txt -c requirements/rasa.lock || { echo "错误：安装 Rasa 3.6.21 失败，请查看上面的 pip 输出。" >&2; exit 1; }
	@touch $@

# Headless Chromium and a Chinese font for the browser test (Debian's packages; Playwright never downloads a browser).
browser:
	@{ command -v chromium >/dev/null && fc-list :lang=zh | grep -q .; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "错误：浏览器测试需要 chromium 与中文字体，请执行 sudo apt-get install chromium fonts-wqy-microhei 后重试。" >&2; exit 1; fi; }

# ---------------------------------------------------------------- data, index, model
index: setup
	@key=$$(cat $(SEEDS)/*.txt $(CURATED) $(KB_PARSER) 2>/dev/null | sha256sum | cut -c1-16); \
	stamp="$(HUIQI_DATA_DIR)/policies/.built-$$key"; \
	if [ -f "$$stamp" ]; then echo "政策库已是最新（未改动，不重新导入）"; else \
	  if [ -d "$(SEEDS)" ]; then $(PY) -m policies_kb import $(SEEDS)/*.txt; \
	  else echo "提示：找不到 $(SEEDS)，跳过示例政策文件导入"; fi; \
	  $(PY) -m policies_kb load-curated; \
	  rm -f "$(HUIQI_DATA_DIR)"/policies/.built-*; touch "$$stamp"; fi

# The e5 embedding model's transformer as ONNX for the Rasa featurizer (build/encoder-onnx; skipped when up to date).
# `train` needs no prerequisite for it: huiqi.botmodel train exports first.
encoder: setup
	@$(PY) -m huiqi.encoder_onnx export

train: setup
	@$(PY) -m huiqi.botmodel train

demo-data: setup
	@$(PY) -m ledger seed-demo

# ---------------------------------------------------------------- run
run: setup
	@$(PY) -m huiqi.services check
	@$(MAKE) -s index train demo-data
	@$(PY) -m huiqi.services run

stop:
	@$(PY) -m huiqi.services stop

# ---------------------------------------------------------------- test
test:
	@total=$$(date +%s); \
	$(call timed,setup,$(MAKE) -s setup browser encoder); \
	$(call timed,unit+integration tests,$(PY) -m pytest -m "not services" -q); \
	$(call timed,rasa data validate + train + test stories,$(MAKE) -s test-bot); \
	$(call timed,end-to-end tests,$(MAKE) -s test-services); \
	echo "[stage] total: $$(( $$(date +%s) - total ))s"

test-unit: setup encoder
	@$(PY) -m pytest -m "not services" -q

test-bot: setup train
	@$(RASA) data validate --fail-on-warnings --config config.yml --domain bot/domain.yml --data bot/data
	@$(PY) -m huiqi.botmodel test

test-services: setup train
	@rm -rf "$(TEST_DATA)"; mkdir -p "$(TEST_DATA)"
	@$(TEST_ENV) $(MAKE) -s index demo-data
	@$(TEST_ENV) $(PY) -m huiqi.services up
	@rc=0; $(TEST_ENV) HUIQI_SERVICES_UP=1 $(PY) -m pytest -m services -q || rc=$$?; \
	start=$$(date +%s); scripts/contract-test.sh http://127.0.0.1:$(TEST_API_PORT) || rc=$$?; \
	echo "[stage] API contract (schemathesis): $$(( $$(date +%s) - start ))s"; \
	$(TEST_ENV) $(PY) -m huiqi.services stop; exit $$rc

bench: setup index
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b; done

clean:
	rm -rf $(VENV) $(RVENV) .pytest_cache results build
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	@echo "已清理虚拟环境与缓存；数据目录 $(HUIQI_DATA_DIR) 未删除（其中有台账数据，如需删除请手动处理）。"
