#!/usr/bin/env python3
"""Writes the Jinja chat-template fixtures (test/jinja/fixtures/).

Benign templates are written in the style of real chat templates (Llama 3, ChatML/Qwen, Mistral,
Gemma, Zephyr, DeepSeek, Phi-3, Qwen3); malicious ones reproduce the public Jinja SSTI techniques.
When jinja2 is importable, every fixture is also compiled with transformers' environment
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols) and the result is
recorded in fixtures/jinja2-parse.json, so the tests check that our parser accepts exactly what
Jinja accepts; benign templates are rendered to prove they are real templates.

Run: python3 packages/scanner/test/jinja/gen_fixtures.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")

BENIGN = {
    "llama3.jinja": """{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- set date_string = "26 Jul 2024" %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if tools is not none %}
    {{- "Environment: ipython\\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\\n" }}
{{- "Today Date: " + date_string + "\\n\\n" }}
{%- if tools is not none and not tools_in_user_message %}
    {{- "You have access to the following functions.\\n\\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\\n\\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("This model only supports single tool-calls at once!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
        {{- '{"name": "' + tool_call.name + '", ' }}
        {{- '"parameters": ' }}
        {{- tool_call.arguments | tojson }}
        {{- "}" }}
        {{- "<|eot_id|>" }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
{%- endif %}
""",
    "chatml.jinja": """{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}""",
    "qwen25-tools.jinja": """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
""",
    "qwen3-namespace.jinja": """{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and message.content is string and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if message.content is string %}
        {%- set content = message.content %}
    {%- else %}
        {%- set content = '' %}
    {%- endif %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {%- set reasoning_content = '' %}
        {%- if message.reasoning_content is string %}
            {%- set reasoning_content = message.reasoning_content %}
        {%- else %}
            {%- if '</think>' in content %}
                {%- set reasoning_content = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}
                {%- set content = content.split('</think>')[-1].lstrip('\\n') %}
            {%- endif %}
        {%- endif %}
        {%- if loop.index0 > ns.last_query_index %}
            {{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n') }}
        {%- else %}
            {{- '<|im_start|>' + message.role + '\\n' + content }}
        {%- endif %}
        {{- '<|im_end|>\\n' }}
    {%- endif %}
{%- endfor %}
{{- messages[ns.last_query_index].role if messages else '' }}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
    {%- if enable_thinking is defined and enable_thinking is false %}
        {{- '<think>\\n\\n</think>\\n\\n' }}
    {%- endif %}
{%- endif %}
""",
    "mistral.jinja": """{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.first and system_message is defined %}
            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}
        {%- else %}
            {{- ' [INST] ' + message['content'] + ' [/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content'] + eos_token}}
    {%- else %}
        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}
    {%- endif %}
{%- endfor %}
""",
    "gemma.jinja": """{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}""",
    "zephyr.jinja": """{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>\\n' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>\\n' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>\\n'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}""",
    "deepseek.jinja": """{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is none %}{%- set ns.is_tool = false -%}{%- for tool in message['tool_calls']%}{%- if not ns.is_first %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}{%- set ns.is_first = true -%}{%- else %}{{'\\n' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}{{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor %}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = false -%}{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{%- if ns.is_output_first %}{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- set ns.is_output_first = false %}{%- else %}{{'\\n<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- endif %}{%- endfor -%}{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\\n'}}{% endif %}""",
    "phi3.jinja": """{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\\n' + message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\\n' + message['content'] + '<|end|>\\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}""",
    "hermes-tools.jinja": """{%- macro json_to_python_type(json_spec) %}
{%- set basic_type_map = {
    "string": "str",
    "number": "float",
    "integer": "int",
    "boolean": "bool"
} %}

{%- if basic_type_map[json_spec.type] is defined %}
    {{- basic_type_map[json_spec.type] }}
{%- elif json_spec.type == "array" %}
    {{- "list[" +  json_to_python_type(json_spec.items) + "]"}}
{%- elif json_spec.type == "object" %}
    {%- if json_spec.additionalProperties is defined %}
        {{- "dict[str, " + json_to_python_type(json_spec.additionalProperties) + ']'}}
    {%- else %}
        {{- "dict" }}
    {%- endif %}
{%- elif json_spec.type is iterable %}
    {{- "Union[" }}
    {%- for t in json_spec.type %}
      {{- json_to_python_type({"type": t}) }}
      {%- if not loop.last %}
        {{- "," }}
    {%- endif %}
    {%- endfor %}
    {{- "]" }}
{%- else %}
    {{- "Any" }}
{%- endif %}
{%- endmacro %}

{{- bos_token }}
{{- '<|im_start|>system\\nYou are a function calling AI model. You are provided with function signatures within <tools></tools> XML tags. Here are the available tools: <tools> ' }}
{%- for tool in tools %}
    {%- if tool.function is defined %}
        {%- set tool = tool.function %}
    {%- endif %}
    {{- '{"type": "function", "function": ' }}
    {{- '{"name": "' + tool.name + '", ' }}
    {{- '"description": "' + tool.name + '(' }}
    {%- for param_name, param_fields in tool.parameters.properties|items %}
        {{- param_name + ": " + json_to_python_type(param_fields) }}
        {%- if not loop.last %}
            {{- ", " }}
        {%- endif %}
    {%- endfor %}
    {{- ")" }}
    {%- if tool.return is defined %}
        {{- " -> " + json_to_python_type(tool.return) }}
    {%- endif %}
    {{- " - " + tool.description + "\\n\\n" }}
    {%- for param_name, param_fields in tool.parameters.properties|items %}
        {%- if loop.first %}
            {{- "    Args:\\n" }}
        {%- endif %}
        {{- "        " + param_name + "(" + json_to_python_type(param_fields) + "): " + param_fields.description|trim }}
    {%- endfor %}
    {{- '"' }}
    {{- ', "parameters": ' }}
    {%- if tool.parameters.properties | length == 0 %}
        {{- "{}" }}
    {%- else %}
        {{- tool.parameters|tojson }}
    {%- endif %}
    {{- "}" }}
    {%- if not loop.last %}
        {{- "\\n" }}
    {%- endif %}
{%- endfor %}
{{- " </tools><|im_end|>\\n" }}
{%- for message in messages %}
    {%- if message.role == "user" or message.role == "system" or (message.role == "assistant" and message.tool_calls is not defined) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
    {%- for tool_call in message.tool_calls %}
       {{- '\\n<tool_call>\\n' }}
           {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '{"name": "' + tool_call.name + '", ' }}
            {%- if tool_call.arguments is string %}
                {{- '"arguments": ' + tool_call.arguments }}
            {%- else %}
                {{- '"arguments": ' + tool_call.arguments|tojson }}
            {%- endif %}
            {{- '}\\n</tool_call>' }}
    {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.previtem and loop.previtem.role != "tool" %}
            {{- '<|im_start|>tool\\n' }}
        {%- endif %}
        {{- '<tool_response>\\n' + message.content + '\\n</tool_response>' }}
        {%- if not loop.last and loop.nextitem.role != "tool" %}
            {{- '<|im_end|>' }}
        {%- elif loop.last %}
            {{- '<|im_end|>' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
""",
    "features.jinja": """{#- Exercises the grammar: macros, call blocks, filters, tests, slices, dicts, tuples, raw, generation. -#}
{%- macro render(msg, prefix='> ', upper=false) -%}
{{ prefix }}{{ msg['content'] | upper if upper else msg['content'] }}{{ caller() if caller is defined else '' }}
{%- endmacro -%}
{%- set roles = {'user': 'U', 'assistant': 'A', 'system': 'S'} -%}
{%- set pair = (1, 2) -%}
{%- set joiner_fn = joiner(', ') -%}
{%- set row = cycler('odd', 'even') -%}
{%- for m in messages if m.role != 'tool' -%}
{%- if loop.index is divisibleby 2 %}{{ row.next() }}{% endif -%}
{{ joiner_fn() }}{{ roles.get(m.role, '?') }}{{ render(m, upper=loop.first) }}
{%- if m.content is string and m.content | length > 3 %}{{ m.content[:3] ~ '...' ~ m.content[-2:] }}{% endif -%}
{%- else -%}
{{ 'no messages' }}
{%- endfor -%}
{%- call(item) render({'content': 'x'}) %}{{ item }}{% endcall -%}
{%- filter upper %}shout{% endfilter -%}
{%- with greeting = 'hi' %}{{ greeting | center(10) }}{% endwith -%}
{%- set block_value %}{{ pair[0] + pair[1] * 2 ** 2 // 3 % 5 - -1 }}{% endset -%}
{{ block_value | trim | int }}{{ [1, 2, 3] | map('string') | join('-') }}{{ messages | selectattr('role', 'equalto', 'user') | list | length }}
{%- raw %}{{ not parsed }}{% endraw -%}
{%- for i in range(3) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 2 %}{% break %}{% endif %}{{ i }}{% endfor -%}
{%- generation %}{{ 'tracked' }}{% endgeneration -%}
{{ "%s-%d" | format('a', 3) }}{{ 'a' in 'abc' and 1 not in [2] or none is none }}{{ (1 if true else 2) }}
""",
}

MALICIOUS = {
    "cve-2024-34359.jinja": ("{{ self.__init__.__globals__.__builtins__.__import__('os').popen('touch /tmp/retr0reg').read() }}", "template.dunder-attribute"),
    "cycler-globals.jinja": ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "template.dunder-attribute"),
    "joiner-globals.jinja": ("{{ joiner.__init__.__globals__.os.popen('id').read() }}", "template.dunder-attribute"),
    "namespace-globals.jinja": ("{{ namespace.__init__.__globals__.os.popen('id').read() }}", "template.dunder-attribute"),
    "lipsum-globals.jinja": ("{{ lipsum.__globals__['os'].popen('id').read() }}", "template.dunder-attribute"),
    "mro-subclasses.jinja": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "template.dunder-attribute"),
    "attr-filter.jinja": ("{{ ()|attr('__class__')|attr('__base__')|attr('__subclasses__')() }}", "template.dunder-attribute"),
    "attr-concat.jinja": ("{{ ()|attr('__cla'~'ss__') }}", "template.dunder-attribute"),
    "string-concat.jinja": ("{% set a = '__cla' %}{% set b = 'ss__' %}{{ messages[a + b] }}", "template.dunder-attribute"),
    "hex-escapes.jinja": ("{{ ()['\\x5f\\x5fclass\\x5f\\x5f']['\\x5f\\x5fbase\\x5f\\x5f'] }}", "template.dunder-attribute"),
    "join-list.jinja": ("{{ ()|attr(['_', '_', 'class', '_', '_']|join) }}", "template.dunder-attribute"),
    "printf-format.jinja": ("{{ ()|attr('%c%cclass%c%c'|format(95, 95, 95, 95)) }}", "template.dunder-attribute"),
    "str-format-field.jinja": ("{{ '{0.__class__.__init__.__globals__}'.format(cycler) }}", "template.dunder-attribute"),
    "request-application.jinja": ("{{ request.application.__globals__.__builtins__.__import__('os').popen('id').read() }}", "template.dunder-attribute"),
    "config-class.jinja": ("{{ config.__class__.__init__.__globals__['os'].popen('id').read() }}", "template.dunder-attribute"),
    "macro-param.jinja": ("{% macro grab(o, k) %}{{ o|attr(k) }}{% endmacro %}{{ grab(cycler, '__in' ~ 'it__') }}", "template.dunder-attribute"),
    "loop-var.jinja": ("{% for k in ['__init__', '__globals__'] %}{% set x = cycler|attr(k) %}{% endfor %}", "template.dunder-attribute"),
    "map-attribute.jinja": ("{{ [cycler]|map(attribute='__init__.__globals__')|list }}", "template.dunder-attribute"),
    "private-attribute.jinja": ("{{ self._TemplateReference__context.cycler }}", "template.private-attribute"),
    "mro-method.jinja": ("{{ ().__class__.mro()[1] }}", "template.dunder-attribute"),
    "computed-from-repr.jinja": ("{% set u = (()|select|string)[24] %}{{ ()|attr(u * 2 ~ 'class' ~ u * 2) }}", "template.computed-attribute"),
    "include.jinja": ("{% include '/etc/passwd' %}", "template.file-access"),
    "dict-kwarg.jinja": ("{{ ()|attr(dict(__class__=1)|first) }}", "template.dunder-name"),
    "huge-range.jinja": ("{% for i in range(10000000000) %}{{ i }}{% endfor %}", "template.resource-exhaustion"),
}

# Templates Jinja itself rejects (syntax errors): our parser must reject them too.
INVALID = {
    "unclosed-if.jinja": "{% if messages %}{{ messages[0] }}",
    "unknown-tag.jinja": "{% frobnicate %}",
    "bad-expression.jinja": "{{ 1 + }}",
    "unclosed-comment.jinja": "{# never closed",
    "unbalanced.jinja": "{{ (1 }}",
    "chained-is.jinja": "{{ a is b is c }}",
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, text in BENIGN.items():
        write(name, text)
    for name, (text, _) in MALICIOUS.items():
        write(name, text)
    for name, text in INVALID.items():
        write(name, text)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({
            "benign": sorted(BENIGN),
            "malicious": {k: v[1] for k, v in sorted(MALICIOUS.items())},
            "invalid": sorted(INVALID),
        }, f, indent=2)
        f.write("\n")
    # tokenizer_config.json files: the template after a large added_tokens_decoder (beyond the 4 KiB head).
    added = {str(i): {"content": f"<|reserved_special_token_{i}|>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True} for i in range(128000, 128100)}
    base = {"added_tokens_decoder": added, "bos_token": "<|begin_of_text|>", "clean_up_tokenization_spaces": True, "eos_token": "<|eot_id|>", "model_max_length": 131072, "tokenizer_class": "PreTrainedTokenizerFast"}
    dump("tokenizer_config.benign.json", {**base, "chat_template": BENIGN["llama3.jinja"]})
    dump("tokenizer_config.malicious.json", {**base, "chat_template": MALICIOUS["cve-2024-34359.jinja"][0]})
    dump("tokenizer_config.named.json", {**base, "chat_template": [
        {"name": "default", "template": BENIGN["chatml.jinja"]},
        {"name": "tool_use", "template": "{{ messages }}\n{{ cycler.__init__.__globals__.os.popen('id').read() }}"},
    ]})
    dump("tokenizer_config.no-template.json", base)
    dump("chat_template.json", {"chat_template": BENIGN["gemma.jinja"]})
    with open(os.path.join(OUT, "tokenizer_config.escaped-key.json"), "w") as f:
        f.write(json.dumps(base)[:-1] + ', "chat\\u005ftemplate": ' + json.dumps(MALICIOUS["lipsum-globals.jinja"][0]) + "}")
    verify()


def write(name, text):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        f.write(text)


def dump(name, obj):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)


def verify():
    try:
        import jinja2
        from jinja2.ext import loopcontrols
        from jinja2.sandbox import ImmutableSandboxedEnvironment
        from jinja2.ext import Extension
        from jinja2 import nodes
    except ImportError:
        print("jinja2 not installed: jinja2-parse.json not refreshed")
        return

    class AssistantTracker(Extension):
        tags = {"generation"}

        def parse(self, parser):
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            return nodes.CallBlock(self.call_method("_noop"), [], [], body).set_lineno(lineno)

        def _noop(self, caller):
            return caller()

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])
    env.globals["raise_exception"] = lambda m: (_ for _ in ()).throw(Exception(m))
    results = {}
    for name in sorted(os.listdir(OUT)):
        if not name.endswith(".jinja"):
            continue
        with open(os.path.join(OUT, name), encoding="utf-8") as f:
            src = f.read()
        try:
            t = env.from_string(src)
            results[name] = True
        except jinja2.TemplateSyntaxError:
            results[name] = False
            continue
        if name in BENIGN:
            msgs = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"}, {"role": "user", "content": "bye"}]
            tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather at a place.", "parameters": {"type": "object", "properties": {
                "location": {"type": "string", "description": "City"}, "days": {"type": ["integer", "string"], "description": "How many"},
                "tags": {"type": "array", "items": {"type": "string"}, "description": "Tags"}, "opts": {"type": "object", "additionalProperties": {"type": "number"}, "description": "Options"}}}}}]
            t.render(messages=msgs, add_generation_prompt=True, bos_token="<s>", eos_token="</s>", tools=tools if name == "hermes-tools.jinja" else None)
    with open(os.path.join(OUT, "jinja2-parse.json"), "w") as f:
        json.dump({"jinja2": jinja2.__version__, "parses": results}, f, indent=2)
        f.write("\n")
    print(f"verified {len(results)} templates with jinja2 {jinja2.__version__}")


if __name__ == "__main__":
    main()
