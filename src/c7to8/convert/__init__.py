"""Pure conversion of Camunda 7 history rows into Camunda 8.9 RDBMS rows (no I/O).

One module per entity type (official order): form, process_definition, process_instance,
flow_node, user_task, variable, job, external_task, incident, decision_requirements,
decision_definition, decision_instance, audit_log. Each has a frozen ``…Context``, ``SPEC``
(declarative description for the orchestrator) and ``convert(row, ctx)``. Shared rules live in
``common``, the pipeline in ``base``, the interceptor chain and ``convert_entity`` in
``interceptors``. See docs/history-mapping.md.
"""
