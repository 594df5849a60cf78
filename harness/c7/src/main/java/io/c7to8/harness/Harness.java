package io.c7to8.harness;

import io.c7to8.harness.model.Address;
import io.c7to8.harness.model.Basket;
import io.c7to8.harness.model.Customer;
import io.c7to8.harness.model.Employee;
import io.c7to8.harness.model.Invoice;
import io.c7to8.harness.model.Person;
import io.c7to8.harness.model.SimplePojo;
import io.c7to8.harness.model.Status;
import io.c7to8.harness.model.Ticket;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.camunda.bpm.dmn.engine.DmnDecisionResult;
import org.camunda.bpm.dmn.engine.DmnDecisionTableResult;
import org.camunda.bpm.engine.AuthorizationService;
import org.camunda.bpm.engine.DecisionService;
import org.camunda.bpm.engine.ExternalTaskService;
import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.ManagementService;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.RepositoryService;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.TaskService;
import org.camunda.bpm.engine.authorization.Authorization;
import org.camunda.bpm.engine.authorization.BatchPermissions;
import org.camunda.bpm.engine.authorization.HistoricProcessInstancePermissions;
import org.camunda.bpm.engine.authorization.HistoricTaskPermissions;
import org.camunda.bpm.engine.authorization.Permission;
import org.camunda.bpm.engine.authorization.Permissions;
import org.camunda.bpm.engine.authorization.ProcessDefinitionPermissions;
import org.camunda.bpm.engine.authorization.ProcessInstancePermissions;
import org.camunda.bpm.engine.authorization.Resource;
import org.camunda.bpm.engine.authorization.Resources;
import org.camunda.bpm.engine.authorization.SystemPermissions;
import org.camunda.bpm.engine.authorization.TaskPermissions;
import org.camunda.bpm.engine.authorization.UserOperationLogCategoryPermissions;
import org.camunda.bpm.engine.externaltask.LockedExternalTask;
import org.camunda.bpm.engine.identity.Group;
import org.camunda.bpm.engine.identity.Tenant;
import org.camunda.bpm.engine.identity.User;
import org.camunda.bpm.engine.repository.Deployment;
import org.camunda.bpm.engine.repository.DeploymentBuilder;
import org.camunda.bpm.engine.runtime.Execution;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.task.Task;
import org.camunda.bpm.engine.variable.VariableMap;
import org.camunda.bpm.engine.variable.Variables;
import org.camunda.spin.plugin.variable.SpinValues;

/** Plays the scenario catalogue against a booted engine and collects the run summary. */
final class Harness {
  static final List<String> ALL = List.of(
      "lifecycle", "usertasks", "servicetasks", "externaltasks", "asyncjobs", "timers", "messages",
      "signals", "boundary", "eventsubprocess", "subprocess", "callactivity", "gateways",
      "multiinstance", "decisions", "variables", "tenants", "oplog", "identity");

  /** Scenarios only run when named (not part of "all"). */
  static final List<String> EXTRA = List.of("bench", "zoo");

  static final Date BASE_DATE = Date.from(Instant.parse("2024-03-15T10:30:00Z"));
  static final String WORKER = "harness-worker";

  private final ProcessEngine engine;
  private final Main.Options options;
  private final RuntimeService runtime;
  private final TaskService tasks;
  private final RepositoryService repository;
  private final ManagementService management;
  private final IdentityService identity;
  private final AuthorizationService authorizations;
  private final ExternalTaskService externalTasks;
  private final DecisionService decisions;

  private Map<String, Object> current;

  Harness(ProcessEngine engine, Main.Options options) {
    this.engine = engine;
    this.options = options;
    this.runtime = engine.getRuntimeService();
    this.tasks = engine.getTaskService();
    this.repository = engine.getRepositoryService();
    this.management = engine.getManagementService();
    this.identity = engine.getIdentityService();
    this.authorizations = engine.getAuthorizationService();
    this.externalTasks = engine.getExternalTaskService();
    this.decisions = engine.getDecisionService();
  }

  // ---------------------------------------------------------------- running

  static List<String> select(String spec, Integer instances) {
    Set<String> out = new LinkedHashSet<>();
    for (String part : spec.split(",")) {
      String s = part.trim();
      if (s.isEmpty()) {
        continue;
      }
      if (s.equals("all")) {
        out.addAll(ALL);
      } else if (ALL.contains(s) || EXTRA.contains(s)) {
        out.add(s);
      } else {
        throw new IllegalArgumentException("unknown scenario '" + s + "' (known: " + ALL + ", " + EXTRA + ")");
      }
    }
    if (instances != null && instances > 0) {
      out.add("bench");
    }
    // identity runs last: its authorizations reference deployments of the other scenarios
    List<String> ordered = new ArrayList<>();
    for (String s : out) {
      if (!s.equals("identity")) {
        ordered.add(s);
      }
    }
    if (out.contains("identity")) {
      ordered.add("identity");
    }
    return ordered;
  }

  Map<String, Object> run() {
    List<String> selected = select(options.scenarios, options.instances);
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("harness", "c7to8-c7-harness");
    summary.put("camundaVersion", camundaVersion());
    summary.put("jdbcUrl", options.jdbcUrl);
    summary.put("idGenerator", options.idGenerator);
    summary.put("historyLevel", options.historyLevel);
    summary.put("instances", options.instances);
    summary.put("baseDate", BASE_DATE);
    summary.put("scenarioOrder", selected);
    Map<String, Object> results = new LinkedHashMap<>();
    summary.put("scenarios", results);
    for (String name : selected) {
      long t0 = System.currentTimeMillis();
      current = new LinkedHashMap<>();
      current.put("processDefinitionKeys", new ArrayList<String>());
      current.put("instances", new ArrayList<Object>());
      current.put("actions", new ArrayList<Object>());
      play(name);
      current.put("millis", System.currentTimeMillis() - t0);
      results.put(name, current);
      identity.clearAuthentication();
    }
    return summary;
  }

  private static String camundaVersion() {
    try {
      return org.camunda.bpm.engine.impl.util.ProductPropertiesUtil.getProductVersion();
    } catch (RuntimeException e) {
      return "unknown";
    }
  }

  private void play(String name) {
    switch (name) {
      case "lifecycle" -> lifecycle();
      case "usertasks" -> usertasks();
      case "servicetasks" -> servicetasks();
      case "externaltasks" -> externaltasks();
      case "asyncjobs" -> asyncjobs();
      case "timers" -> timers();
      case "messages" -> messages();
      case "signals" -> signals();
      case "boundary" -> boundary();
      case "eventsubprocess" -> eventsubprocess();
      case "subprocess" -> subprocess();
      case "callactivity" -> callactivity();
      case "gateways" -> gateways();
      case "multiinstance" -> multiinstance();
      case "decisions" -> decisionsScenario();
      case "variables" -> variables();
      case "tenants" -> tenants();
      case "oplog" -> oplog();
      case "identity" -> identityScenario();
      case "zoo" -> zoo();
      case "bench" -> bench(options.instances == null || options.instances <= 0 ? 10 : options.instances);
      default -> throw new IllegalArgumentException(name);
    }
  }

  // ---------------------------------------------------------------- helpers

  /** One process instance in the summary. */
  final class Inst {
    final String id;
    final String businessKey;
    final Map<String, Object> json = new LinkedHashMap<>();
    final List<String> steps = new ArrayList<>();

    Inst(ProcessInstance pi, String businessKey, String key) {
      this.id = pi.getId();
      this.businessKey = businessKey;
      json.put("id", id);
      json.put("businessKey", businessKey);
      json.put("processDefinitionKey", key);
      json.put("processDefinitionId", pi.getProcessDefinitionId());
      if (pi.getTenantId() != null) {
        json.put("tenantId", pi.getTenantId());
      }
      json.put("state", "active");
      json.put("steps", steps);
      instancesList().add(json);
    }

    Inst state(String state) {
      json.put("state", state);
      return this;
    }

    Inst step(String step) {
      steps.add(step);
      return this;
    }

    Inst put(String k, Object v) {
      json.put(k, v);
      return this;
    }
  }

  @SuppressWarnings("unchecked")
  private List<Object> instancesList() {
    return (List<Object>) current.get("instances");
  }

  @SuppressWarnings("unchecked")
  private void action(String text) {
    ((List<Object>) current.get("actions")).add(text);
  }

  @SuppressWarnings("unchecked")
  private Deployment deploy(String name, String tenantId, String... resources) {
    DeploymentBuilder b = repository.createDeployment().name(name).source("c7to8-harness");
    if (tenantId != null) {
      b.tenantId(tenantId);
    }
    for (String r : resources) {
      b.addClasspathResource("scenarios/" + r);
    }
    Deployment d = b.deploy();
    List<String> keys = (List<String>) current.get("processDefinitionKeys");
    repository.createProcessDefinitionQuery().deploymentId(d.getId()).list().forEach(pd -> {
      if (!keys.contains(pd.getKey())) {
        keys.add(pd.getKey());
      }
    });
    List<Object> deployments = (List<Object>) current.computeIfAbsent("deployments", k -> new ArrayList<>());
    Map<String, Object> dj = new LinkedHashMap<>();
    dj.put("id", d.getId());
    dj.put("name", name);
    dj.put("tenantId", tenantId);
    dj.put("resources", Arrays.asList(resources));
    deployments.add(dj);
    return d;
  }

  private Inst start(String key, String businessKey, Map<String, Object> vars) {
    ProcessInstance pi = runtime.startProcessInstanceByKey(key, businessKey, vars == null ? Map.of() : vars);
    return new Inst(pi, businessKey, key).step("started");
  }

  private void as(String user, Runnable r) {
    identity.setAuthenticatedUserId(user);
    try {
      r.run();
    } finally {
      identity.clearAuthentication();
    }
  }

  private <T> T as(String user, Supplier<T> r) {
    identity.setAuthenticatedUserId(user);
    try {
      return r.get();
    } finally {
      identity.clearAuthentication();
    }
  }

  private Task task(String processInstanceId, String taskKey) {
    List<Task> found = tasks.createTaskQuery().processInstanceId(processInstanceId).taskDefinitionKey(taskKey)
        .orderByTaskCreateTime().asc().list();
    if (found.isEmpty()) {
      throw new IllegalStateException("no task " + taskKey + " in " + processInstanceId);
    }
    return found.get(0);
  }

  private void complete(Inst inst, String taskKey) {
    complete(inst, taskKey, null);
  }

  private void complete(Inst inst, String taskKey, Map<String, Object> vars) {
    completeIn(inst.id, taskKey, vars);
    inst.step("completed " + taskKey);
  }

  private void completeIn(String processInstanceId, String taskKey, Map<String, Object> vars) {
    Task t = task(processInstanceId, taskKey);
    if (vars == null) {
      tasks.complete(t.getId());
    } else {
      tasks.complete(t.getId(), vars);
    }
  }

  private Job job(String processInstanceId, String activityId) {
    List<Job> jobs = management.createJobQuery().processInstanceId(processInstanceId).activityId(activityId).list();
    if (jobs.isEmpty()) {
      throw new IllegalStateException("no job at " + activityId + " in " + processInstanceId);
    }
    return jobs.get(0);
  }

  /** Executes the job waiting at activityId; true on success, false when the job failed. */
  private boolean runJob(Inst inst, String activityId) {
    Job j = job(inst.id, activityId);
    try {
      management.executeJob(j.getId());
      inst.step("executed job " + activityId);
      return true;
    } catch (RuntimeException e) {
      inst.step("job " + activityId + " failed");
      return false;
    }
  }

  /** Executes the job at activityId until its retries are used up (incident created). */
  private void exhaustJob(Inst inst, String activityId) {
    for (int i = 0; i < 10; i++) {
      Job j = job(inst.id, activityId);
      if (j.getRetries() <= 0) {
        inst.step("job " + activityId + " retries exhausted (incident)");
        return;
      }
      try {
        management.executeJob(j.getId());
        inst.step("executed job " + activityId);
        return;
      } catch (RuntimeException e) {
        inst.step("job " + activityId + " failed");
      }
    }
    throw new IllegalStateException("job " + activityId + " did not exhaust its retries");
  }

  private static Map<String, Object> vars(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private static Date day(int offset) {
    return new Date(BASE_DATE.getTime() + offset * 86_400_000L);
  }

  // ---------------------------------------------------------------- scenarios

  private void lifecycle() {
    deploy("lifecycle", null, "lifecycle.bpmn");
    for (int i = 1; i <= 2; i++) {
      Inst a = start("lifecycle", "lifecycle-completed-" + i, vars("orderId", "ORD-C" + i, "amount", 100 * i));
      complete(a, "task");
      a.state("completed");
    }
    for (int i = 1; i <= 2; i++) {
      start("lifecycle", "lifecycle-active-" + i, vars("orderId", "ORD-A" + i, "amount", 10 * i)).state("active");
    }
    Inst s = start("lifecycle", "lifecycle-suspended-1", vars("orderId", "ORD-S1", "amount", 7));
    as("demo", () -> runtime.suspendProcessInstanceById(s.id));
    s.step("suspended by demo").state("suspended");
    Inst c = start("lifecycle", "lifecycle-canceled-1", vars("orderId", "ORD-X1", "amount", 3));
    as("demo", () -> runtime.deleteProcessInstance(c.id, "canceled by harness", false, true));
    c.step("deleted by demo (externallyTerminated)").state("canceled");
  }

  private void usertasks() {
    deploy("usertasks", null, "usertasks.bpmn", "approval.form");
    Inst u1 = start("usertasks", "usertasks-assigned-1", vars("requester", "john", "amount", 250));
    tasks.setVariableLocal(task(u1.id, "assignedTask").getId(), "comment", "please check the figures");
    u1.step("local variable comment on assignedTask").put("waitingAt", List.of("assignedTask"));

    Inst u2 = start("usertasks", "usertasks-candidate-1", vars("requester", "mary", "amount", 80));
    as("demo", () -> complete(u2, "assignedTask"));
    u2.put("waitingAt", List.of("groupTask"));

    Inst u3 = start("usertasks", "usertasks-claimed-1", vars("requester", "peter", "amount", 120));
    as("demo", () -> complete(u3, "assignedTask"));
    as("john", () -> tasks.claim(task(u3.id, "groupTask").getId(), "john"));
    as("demo", () -> {
      Task t = task(u3.id, "groupTask");
      t.setDueDate(day(7));
      t.setFollowUpDate(day(3));
      t.setPriority(80);
      tasks.saveTask(t);
    });
    u3.step("groupTask claimed by john, due date and priority set").put("waitingAt", List.of("groupTask"));

    Inst u4 = start("usertasks", "usertasks-form-1", vars("requester", "sally", "amount", 990));
    as("demo", () -> complete(u4, "assignedTask"));
    as("john", () -> {
      tasks.claim(task(u4.id, "groupTask").getId(), "john");
      complete(u4, "groupTask");
    });
    u4.put("waitingAt", List.of("formTask"));

    Inst u5 = start("usertasks", "usertasks-completed-1", vars("requester", "demo", "amount", 42));
    as("demo", () -> complete(u5, "assignedTask"));
    as("john", () -> {
      tasks.claim(task(u5.id, "groupTask").getId(), "john");
      complete(u5, "groupTask");
    });
    as("demo", () -> complete(u5, "formTask", vars("approved", true, "comment", "looks good")));
    u5.state("completed");
  }

  private void servicetasks() {
    deploy("servicetasks", null, "servicetasks.bpmn");
    for (int i = 1; i <= 3; i++) {
      Inst s = start("servicetasks", "servicetasks-" + i,
          vars("customer", "Customer " + i, "price", 9.99 * i, "quantity", i));
      s.step("greet (delegate expression) and compute (class) ran");
      if (i == 3) {
        complete(s, "check");
        s.state("completed");
      } else {
        s.put("waitingAt", List.of("check"));
      }
    }
  }

  private LockedExternalTask fetch(Inst inst) {
    List<LockedExternalTask> locked = externalTasks.fetchAndLock(1, WORKER)
        .topic("charge-card", 600_000L).businessKey(inst.businessKey).execute();
    if (locked.size() != 1) {
      throw new IllegalStateException("expected one external task for " + inst.businessKey);
    }
    inst.step("external task fetched and locked by " + WORKER);
    return locked.get(0);
  }

  private void externaltasks() {
    deploy("externaltasks", null, "externaltasks.bpmn");
    Inst e1 = start("externaltasks", "externaltasks-completed-task-1", vars("cardNumber", "4111-1111"));
    externalTasks.complete(fetch(e1).getId(), WORKER, vars("paymentId", "PAY-1"));
    e1.step("external task completed").put("waitingAt", List.of("confirm"));

    Inst e2 = start("externaltasks", "externaltasks-incident-1", vars("cardNumber", "4000-0002"));
    externalTasks.handleFailure(fetch(e2).getId(), WORKER, "Card declined", "gateway said: declined (code 51)", 0, 0L);
    e2.step("failure with retries 0 -> incident").state("incident");

    Inst e3 = start("externaltasks", "externaltasks-resolved-1", vars("cardNumber", "4000-0003"));
    String e3task = fetch(e3).getId();
    externalTasks.handleFailure(e3task, WORKER, "Gateway timeout", "timeout after 30s", 0, 0L);
    as("demo", () -> externalTasks.setRetries(e3task, 2));
    e3.step("failure -> incident, retries set to 2 by demo -> incident resolved").put("waitingAt", List.of("charge"));

    Inst e4 = start("externaltasks", "externaltasks-open-1", vars("cardNumber", "4111-0004"));
    e4.step("external task not fetched").put("waitingAt", List.of("charge"));

    Inst e5 = start("externaltasks", "externaltasks-locked-1", vars("cardNumber", "4111-0005"));
    fetch(e5);
    e5.put("waitingAt", List.of("charge"));

    Inst e6 = start("externaltasks", "externaltasks-completed-1", vars("cardNumber", "4111-0006"));
    externalTasks.complete(fetch(e6).getId(), WORKER, vars("paymentId", "PAY-6"));
    complete(e6, "confirm");
    e6.state("completed");
  }

  private void asyncjobs() {
    deploy("asyncjobs", null, "asyncjobs.bpmn");
    Inst a1 = start("asyncjobs", "asyncjobs-pending-1", vars("fail", false));
    a1.put("waitingAt", List.of("prepare (asyncBefore job)"));

    Inst a2 = start("asyncjobs", "asyncjobs-after-1", vars("fail", false));
    runJob(a2, "prepare");
    a2.put("waitingAt", List.of("transform (asyncAfter job)"));

    Inst a3 = start("asyncjobs", "asyncjobs-retrying-1", vars("fail", true));
    runJob(a3, "prepare");
    runJob(a3, "transform");
    runJob(a3, "deliver");
    a3.put("waitingAt", List.of("deliver (failed once, retries left)"));

    Inst a4 = start("asyncjobs", "asyncjobs-incident-1", vars("fail", true));
    runJob(a4, "prepare");
    runJob(a4, "transform");
    exhaustJob(a4, "deliver");
    a4.state("incident");

    Inst a5 = start("asyncjobs", "asyncjobs-resolved-1", vars("fail", true));
    runJob(a5, "prepare");
    runJob(a5, "transform");
    exhaustJob(a5, "deliver");
    as("demo", () -> {
      runtime.setVariable(a5.id, "fail", false);
      management.setJobRetries(job(a5.id, "deliver").getId(), 1);
    });
    runJob(a5, "deliver");
    a5.step("incident resolved by demo (fail=false, retries=1)").put("waitingAt", List.of("review"));

    Inst a6 = start("asyncjobs", "asyncjobs-completed-1", vars("fail", false));
    runJob(a6, "prepare");
    runJob(a6, "transform");
    runJob(a6, "deliver");
    complete(a6, "review");
    a6.state("completed");
  }

  private void timers() {
    deploy("timers", null, "timers.bpmn");
    start("timers", "timers-waiting-1", vars("requestId", "T1")).put("waitingAt", List.of("delay (timer job)"));
    Inst t2 = start("timers", "timers-boundary-1", vars("requestId", "T2"));
    runJob(t2, "delay");
    t2.put("waitingAt", List.of("approve (+ deadline boundary timer)"));
    Inst t3 = start("timers", "timers-escalated-1", vars("requestId", "T3"));
    runJob(t3, "delay");
    runJob(t3, "deadline");
    t3.put("waitingAt", List.of("escalated"));
    Inst t4 = start("timers", "timers-completed-1", vars("requestId", "T4"));
    runJob(t4, "delay");
    complete(t4, "approve");
    t4.state("completed");
  }

  private void messages() {
    deploy("messages", null, "messages.bpmn", "messagestart.bpmn");
    start("messages", "messages-waiting-1", vars("orderId", "M1")).put("waitingAt", List.of("waitPayment"));
    Inst m2 = start("messages", "messages-received-1", vars("orderId", "M2"));
    runtime.createMessageCorrelation("paymentReceived").processInstanceBusinessKey(m2.businessKey)
        .setVariable("paymentId", "PAY-M2").correlate();
    m2.step("message paymentReceived correlated").put("waitingAt", List.of("ship"));
    Inst m3 = start("messages", "messages-completed-1", vars("orderId", "M3"));
    runtime.createMessageCorrelation("paymentReceived").processInstanceBusinessKey(m3.businessKey)
        .setVariable("paymentId", "PAY-M3").correlate();
    complete(m3, "ship");
    m3.state("completed");
    ProcessInstance started = runtime.createMessageCorrelation("orderPlaced").processInstanceBusinessKey("messagestart-1")
        .setVariable("orderId", "MS1").correlateStartMessage();
    new Inst(started, "messagestart-1", "messagestart").step("started by message orderPlaced")
        .put("waitingAt", List.of("handleOrder"));
  }

  private void signals() {
    deploy("signals", null, "signals.bpmn");
    start("signals", "signals-waiting-1", vars("level", 1)).put("waitingAt", List.of("waitSignal"));
    Inst s2 = start("signals", "signals-received-1", vars("level", 2));
    Execution ex = runtime.createExecutionQuery().processInstanceId(s2.id).signalEventSubscriptionName("alarmRaised")
        .singleResult();
    runtime.createSignalEvent("alarmRaised").executionId(ex.getId()).setVariables(vars("alarmLevel", 3)).send();
    s2.step("signal alarmRaised delivered").put("waitingAt", List.of("react"));
  }

  private void boundary() {
    deploy("boundary", null, "boundary.bpmn");
    start("boundary", "boundary-valid-1", vars("invalid", false, "caseId", "B1")).put("waitingAt", List.of("process"));
    start("boundary", "boundary-error-1", vars("invalid", true, "caseId", "B2")).step("BPMN error INVALID caught")
        .put("waitingAt", List.of("fixData"));
    Inst b3 = start("boundary", "boundary-nudged-1", vars("invalid", false, "caseId", "B3"));
    runtime.createMessageCorrelation("nudgeReceived").processInstanceBusinessKey(b3.businessKey).correlate();
    b3.step("non-interrupting message nudgeReceived").put("waitingAt", List.of("process", "followUp"));
    Inst b4 = start("boundary", "boundary-completed-1", vars("invalid", false, "caseId", "B4"));
    complete(b4, "process");
    b4.state("completed");
  }

  private void eventsubprocess() {
    deploy("eventsubprocess", null, "eventsubprocess.bpmn");
    start("eventsubprocess", "eventsubprocess-working-1", vars("caseId", "E1")).put("waitingAt", List.of("work"));
    Inst e2 = start("eventsubprocess", "eventsubprocess-info-1", vars("caseId", "E2"));
    runtime.createMessageCorrelation("infoRequested").processInstanceBusinessKey(e2.businessKey).correlate();
    e2.step("non-interrupting event subprocess started").put("waitingAt", List.of("work", "provideInfo"));
    Inst e3 = start("eventsubprocess", "eventsubprocess-aborted-1", vars("caseId", "E3"));
    runtime.createMessageCorrelation("abortRequested").processInstanceBusinessKey(e3.businessKey).correlate();
    e3.step("interrupting event subprocess started").put("waitingAt", List.of("handleAbort"));
  }

  private void subprocess() {
    deploy("subprocess", null, "subprocess.bpmn");
    start("subprocess", "subprocess-inner1-1", vars("step", 1)).put("waitingAt", List.of("inner1"));
    Inst s2 = start("subprocess", "subprocess-inner2-1", vars("step", 2));
    complete(s2, "inner1");
    s2.put("waitingAt", List.of("inner2"));
    Inst s3 = start("subprocess", "subprocess-after-1", vars("step", 3));
    complete(s3, "inner1");
    complete(s3, "inner2");
    s3.put("waitingAt", List.of("after"));
    Inst s4 = start("subprocess", "subprocess-completed-1", vars("step", 4));
    complete(s4, "inner1");
    complete(s4, "inner2");
    complete(s4, "after");
    s4.state("completed");
  }

  private String subInstance(String superId) {
    ProcessInstance pi = runtime.createProcessInstanceQuery().superProcessInstanceId(superId).singleResult();
    return pi == null ? null : pi.getId();
  }

  private void callactivity() {
    deploy("callactivity", null, "call_parent.bpmn", "call_child.bpmn", "call_grandchild.bpmn");
    for (int i = 1; i <= 3; i++) {
      String bk = i == 1 ? "callactivity-active-1" : i == 2 ? "callactivity-returned-1" : "callactivity-completed-1";
      Inst p = start("call_parent", bk, vars("caseNumber", "CA-" + i, "level", "parent"));
      String child = subInstance(p.id);
      String grandchild = subInstance(child);
      p.put("childInstanceId", child).put("grandchildInstanceId", grandchild);
      if (i == 1) {
        p.put("waitingAt", List.of("call_grandchild:gcTask"));
        continue;
      }
      completeIn(grandchild, "gcTask", vars("gcResult", "done-" + i));
      p.step("grandchild task completed, child and grandchild ended");
      if (i == 2) {
        p.put("waitingAt", List.of("parentReview"));
      } else {
        complete(p, "parentReview");
        p.state("completed");
      }
    }
  }

  private void gateways() {
    deploy("gateways", null, "gateways.bpmn");
    start("gateways", "gateways-high-1", vars("amount", 500)).put("waitingAt", List.of("managerApproval"));
    start("gateways", "gateways-forked-1", vars("amount", 50)).put("waitingAt", List.of("checkA", "checkB"));
    Inst g3 = start("gateways", "gateways-joining-1", vars("amount", 50));
    complete(g3, "checkA");
    g3.put("waitingAt", List.of("join (parallel gateway)", "checkB"));
    Inst g4 = start("gateways", "gateways-joined-1", vars("amount", 50));
    complete(g4, "checkA");
    complete(g4, "checkB");
    g4.put("waitingAt", List.of("finalize"));
    Inst g5 = start("gateways", "gateways-completed-1", vars("amount", 500));
    complete(g5, "managerApproval");
    complete(g5, "checkA");
    complete(g5, "checkB");
    complete(g5, "finalize");
    g5.state("completed");
  }

  private void multiinstance() {
    deploy("multiinstance", null, "multiinstance.bpmn");
    for (int i = 1; i <= 3; i++) {
      String bk = i == 1 ? "multiinstance-review-1" : i == 2 ? "multiinstance-sign-1" : "multiinstance-completed-1";
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("reviewers", Variables.objectValue(new ArrayList<>(List.of("demo", "john", "mary")))
          .serializationDataFormat(Variables.SerializationDataFormats.JSON).create());
      Inst m = start("multiinstance", bk, v);
      if (i == 1) {
        Task t = tasks.createTaskQuery().processInstanceId(m.id).taskAssignee("john").singleResult();
        tasks.complete(t.getId());
        m.step("review of john completed").put("waitingAt", List.of("review x2 (parallel MI)"));
        continue;
      }
      for (Task t : tasks.createTaskQuery().processInstanceId(m.id).taskDefinitionKey("review").list()) {
        tasks.complete(t.getId());
      }
      m.step("all reviews completed");
      if (i == 2) {
        m.put("waitingAt", List.of("sign (sequential MI, 1 of 2)"));
      } else {
        complete(m, "sign");
        complete(m, "sign");
        m.state("completed");
      }
    }
  }

  private void decisionsScenario() {
    deploy("decisions", null, "decisions.bpmn", "dish.dmn", "drinks.dmn");
    Inst d1 = start("decisions", "decisions-1", vars("season", "Fall", "guestCount", 4));
    d1.put("dishResult", runtime.getVariable(d1.id, "dishResult")).put("waitingAt", List.of("serve"));
    Inst d2 = start("decisions", "decisions-2", vars("season", "Summer", "guestCount", 10));
    d2.put("dishResult", runtime.getVariable(d2.id, "dishResult"));
    complete(d2, "serve");
    d2.state("completed");

    Map<String, Object> standalone = new LinkedHashMap<>();
    DmnDecisionTableResult r1 = decisions.evaluateDecisionTableByKey("dish", vars("season", "Winter", "guestCount", 6));
    standalone.put("dish(Winter,6)", r1.getSingleEntry());
    DmnDecisionResult r2 = decisions.evaluateDecisionByKey("dish").variables(vars("season", "Spring", "guestCount", 3))
        .evaluate();
    standalone.put("dish(Spring,3)", r2.getSingleEntry());
    DmnDecisionResult r3 = decisions.evaluateDecisionByKey("beverages")
        .variables(vars("season", "Winter", "guestsWithChildren", true)).evaluate();
    standalone.put("beverages(Winter,children)", r3.collectEntries("beverage"));
    current.put("standaloneEvaluations", standalone);
    action("evaluated dish twice and the beverages DRD (beverages requires dishChoice) once, standalone");
  }

  static byte[] pdf() {
    String[] objs = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R"
          + " /Resources << /Font << /F1 5 0 R >> >> >>",
      null,
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    };
    String stream = "BT /F1 18 Tf 20 45 Td (c7to8 invoice) Tj ET";
    objs[3] = "<< /Length " + stream.length() + " >>\nstream\n" + stream + "\nendstream";
    StringBuilder sb = new StringBuilder("%PDF-1.4\n");
    int[] offsets = new int[objs.length];
    for (int i = 0; i < objs.length; i++) {
      offsets[i] = sb.length();
      sb.append(i + 1).append(" 0 obj\n").append(objs[i]).append("\nendobj\n");
    }
    int xref = sb.length();
    sb.append("xref\n0 ").append(objs.length + 1).append("\n0000000000 65535 f \n");
    for (int off : offsets) {
      sb.append(String.format("%010d 00000 n \n", off));
    }
    sb.append("trailer\n<< /Size ").append(objs.length + 1).append(" /Root 1 0 R >>\nstartxref\n").append(xref)
        .append("\n%%EOF\n");
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  static Map<String, Object> javaObjects() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("javaSimple", new SimplePojo());
    m.put("javaNested", new Person("Ada Lovelace", 36, new Address("1 Main St", "London", "W1"),
        new Address("2 Engine Rd", "London", "E2")));
    Basket basket = new Basket();
    basket.tags.addAll(List.of("urgent", "vip", "ümlaut"));
    basket.scores.put("alpha", 1);
    basket.scores.put("beta", 2);
    basket.addresses.add(new Address("3 Side St", "Berlin", "10115"));
    m.put("javaCollections", basket);
    m.put("javaEnum", new Ticket("Broken printer", Status.ACTIVE));
    m.put("javaDates", new Invoice("INV-2024-001", BASE_DATE, new BigDecimal("1234.5678")));
    Employee emp = new Employee();
    emp.id = "E-7";
    emp.createdBy = "demo";
    emp.version = 3;
    emp.name = "Grace Hopper";
    emp.salary = 98765.43;
    emp.department = "R&D";
    m.put("javaHierarchy", emp);
    m.put("javaList", new ArrayList<>(List.of("one", "two", "three")));
    m.put("javaMap", new LinkedHashMap<>(Map.of("key", "value")));
    return m;
  }

  private void variables() {
    deploy("variables", null, "variables.bpmn");
    Customer customer = new Customer("Jane Doe", "jane@example.com", 41, true);
    VariableMap v = Variables.createVariables()
        .putValueTyped("stringVar", Variables.stringValue("hello world"))
        .putValueTyped("emptyString", Variables.stringValue(""))
        .putValueTyped("unicodeString", Variables.stringValue("Grüße, 東京, \"quotes\" and \\ backslash"))
        .putValueTyped("longString", Variables.stringValue("x".repeat(3000)))
        .putValueTyped("intVar", Variables.integerValue(42))
        .putValueTyped("longVar", Variables.longValue(9_000_000_000L))
        .putValueTyped("shortVar", Variables.shortValue((short) 7))
        .putValueTyped("doubleVar", Variables.doubleValue(3.14159))
        .putValueTyped("booleanVar", Variables.booleanValue(true))
        .putValueTyped("falseVar", Variables.booleanValue(false))
        .putValueTyped("dateVar", Variables.dateValue(BASE_DATE))
        .putValueTyped("bytesVar", Variables.byteArrayValue(new byte[] {0, 1, 2, 127, (byte) 128, (byte) 255}))
        .putValueTyped("nullVar", Variables.untypedNullValue())
        .putValueTyped("nullString", Variables.stringValue(null))
        .putValueTyped("fileVar", Variables.fileValue("invoice.pdf").file(pdf()).mimeType("application/pdf")
            .encoding("UTF-8").create())
        .putValueTyped("jsonObject", Variables.objectValue(customer)
            .serializationDataFormat(Variables.SerializationDataFormats.JSON).create())
        .putValueTyped("jsonList", Variables.objectValue(new ArrayList<>(List.of(1, 2, 3)))
            .serializationDataFormat(Variables.SerializationDataFormats.JSON).create())
        .putValueTyped("jsonUnknownClass", Variables.serializedObjectValue("{\"legacy\":true,\"n\":1}")
            .serializationDataFormat(Variables.SerializationDataFormats.JSON)
            .objectTypeName("com.example.legacy.NotOnClasspath").create())
        .putValueTyped("xmlObject", Variables.objectValue(customer)
            .serializationDataFormat(Variables.SerializationDataFormats.XML).create())
        .putValueTyped("spinJson", SpinValues.jsonValue(
            "{\"order\":{\"id\":17,\"items\":[{\"sku\":\"A-1\",\"qty\":2}],\"paid\":false,\"note\":null}}").create())
        .putValueTyped("spinXml", SpinValues.xmlValue(
            "<order id=\"17\"><item sku=\"A-1\" qty=\"2\"/><paid>false</paid></order>").create())
        .putValueTyped("counter", Variables.integerValue(1))
        .putValueTyped("retyped", Variables.stringValue("one"));
    for (Map.Entry<String, Object> e : javaObjects().entrySet()) {
      v.putValueTyped(e.getKey(), Variables.objectValue(e.getValue())
          .serializationDataFormat(Variables.SerializationDataFormats.JAVA).create());
    }
    Inst all = start("variables", "variables-all-types-1", v);
    all.put("variableNames", new ArrayList<>(v.keySet()));
    runtime.setVariable(all.id, "counter", 2);
    runtime.setVariable(all.id, "counter", 3);
    runtime.setVariable(all.id, "counter", 4);
    runtime.setVariable(all.id, "retyped", 1);
    all.step("counter updated 1->2->3->4, retyped string->integer");
    Task t = task(all.id, "inspect");
    tasks.setVariableLocal(t.getId(), "taskNote", "check the pdf");
    tasks.setVariableLocal(t.getId(), "taskAmount", 12.5);
    tasks.setVariableLocal(t.getId(), "taskCustomer", Variables.objectValue(customer)
        .serializationDataFormat(Variables.SerializationDataFormats.JSON).create());
    all.step("task-local variables taskNote, taskAmount, taskCustomer").put("waitingAt", List.of("inspect"));

    Inst done = start("variables", "variables-completed-1", vars("stringVar", "bye", "intVar", 7,
        "dateVar", day(1), "counter", 10));
    runtime.setVariable(done.id, "counter", 11);
    complete(done, "inspect", vars("inspected", true));
    done.state("completed");
  }

  private void tenants() {
    deploy("tenants-tenant1", "tenant1", "tenants.bpmn");
    deploy("tenants-tenant2", "tenant2", "tenants.bpmn");
    deploy("tenants", null, "tenants.bpmn");
    String[][] plan = {
      {"tenant1", "tenants-tenant1-1"}, {"tenant2", "tenants-tenant2-1"}, {null, "tenants-none-1"},
      {"tenant1", "tenants-tenant1-completed-1"},
    };
    for (String[] p : plan) {
      var b = runtime.createProcessInstanceByKey("tenants").businessKey(p[1]).setVariable("tenantLabel",
          p[0] == null ? "none" : p[0]);
      b = p[0] == null ? b.processDefinitionWithoutTenantId() : b.processDefinitionTenantId(p[0]);
      ProcessInstance pi = b.execute();
      Inst inst = new Inst(pi, p[1], "tenants").step("started for tenant " + p[0]);
      if (p[1].endsWith("completed-1")) {
        complete(inst, "tenantTask");
        inst.state("completed");
      } else {
        inst.put("waitingAt", List.of("tenantTask"));
      }
    }
  }

  private void oplog() {
    deploy("oplog", null, "oplog.bpmn");
    Inst o1 = as("demo", () -> start("oplog", "oplog-operated-1", vars("temp", "remove me")));
    as("demo", () -> {
      runtime.setVariable(o1.id, "note", "first");
      runtime.setVariable(o1.id, "note", "second");
      runtime.setVariables(o1.id, vars("a", 1, "b", 2));
      runtime.removeVariable(o1.id, "temp");
      runtime.suspendProcessInstanceById(o1.id);
      runtime.activateProcessInstanceById(o1.id);
      String tid = task(o1.id, "opTask").getId();
      tasks.setAssignee(tid, "john");
      tasks.setOwner(tid, "demo");
      tasks.setPriority(tid, 70);
      tasks.addCandidateGroup(tid, "sales");
      tasks.setVariable(tid, "taskVar", 1);
    });
    o1.step("demo: set/update/remove variables, suspend+activate, assign/owner/priority/candidate group on task")
        .put("waitingAt", List.of("opTask"));

    Inst o2 = as("mary", () -> start("oplog", "oplog-completed-1", vars("x", 1)));
    as("mary", () -> {
      String tid = task(o2.id, "opTask").getId();
      tasks.addCandidateUser(tid, "peter");
      tasks.addCandidateGroup(tid, "accounting");
      tasks.deleteCandidateUser(tid, "peter");
      tasks.claim(tid, "mary");
      complete(o2, "opTask", vars("done", true));
    });
    o2.step("mary: candidate user peter added and removed, group accounting added; claimed and completed")
        .state("completed");

    Inst o3 = as("demo", () -> start("oplog", "oplog-modified-1", vars("x", 3)));
    as("demo", () -> runtime.createProcessInstanceModification(o3.id).startBeforeActivity("opTask").execute());
    o3.step("demo: modification startBeforeActivity opTask").put("waitingAt", List.of("opTask", "opTask"));

    Inst o4 = as("demo", () -> start("oplog", "oplog-deleted-1", vars("x", 4)));
    as("demo", () -> runtime.deleteProcessInstance(o4.id, "deleted by demo", false, true));
    o4.step("deleted by demo").state("canceled");
  }

  // ---------------------------------------------------------------- identity

  private void user(String id, String first, String last) {
    User u = identity.newUser(id);
    u.setFirstName(first);
    u.setLastName(last);
    u.setEmail(id + "@example.com");
    u.setPassword(id + "-secret");
    identity.saveUser(u);
  }

  private void group(String id, String name, String type) {
    Group g = identity.newGroup(id);
    g.setName(name);
    g.setType(type);
    identity.saveGroup(g);
  }

  private int authCount;

  private void grant(int type, String user, String group, Resource resource, String resourceId, Permission... perms) {
    Authorization a = authorizations.createNewAuthorization(type);
    if (user != null) {
      a.setUserId(user);
    }
    if (group != null) {
      a.setGroupId(group);
    }
    a.setResource(resource);
    a.setResourceId(resourceId);
    for (Permission p : perms) {
      if (type == Authorization.AUTH_TYPE_REVOKE) {
        a.removePermission(p);
      } else {
        a.addPermission(p);
      }
    }
    authorizations.saveAuthorization(a);
    authCount++;
  }

  private void identityScenario() {
    user("demo", "Demo", "Demo");
    user("john", "John", "Doe");
    user("mary", "Mary", "Anne");
    user("peter", "Peter", "Meter");
    user("sally", "Sally", "Ride");
    group("accounting", "Accounting", "WORKFLOW");
    group("management", "Management", "WORKFLOW");
    group("sales", "Sales", "WORKFLOW");
    group("camunda-admin", "Camunda Administrators", "SYSTEM");
    identity.createMembership("demo", "camunda-admin");
    identity.createMembership("demo", "management");
    identity.createMembership("john", "accounting");
    identity.createMembership("mary", "accounting");
    identity.createMembership("mary", "management");
    identity.createMembership("peter", "sales");
    // audited identity operations (user operation log, category Admin)
    as("demo", () -> {
      group("auditors", "Auditors", "WORKFLOW");
      identity.createMembership("sally", "auditors");
    });
    Tenant t1 = identity.newTenant("tenant1");
    t1.setName("Tenant One");
    identity.saveTenant(t1);
    Tenant t2 = identity.newTenant("tenant2");
    t2.setName("Tenant Two");
    identity.saveTenant(t2);
    identity.createTenantUserMembership("tenant1", "demo");
    identity.createTenantUserMembership("tenant1", "john");
    identity.createTenantGroupMembership("tenant1", "accounting");
    identity.createTenantUserMembership("tenant2", "mary");
    identity.createTenantGroupMembership("tenant2", "sales");

    final int grantT = Authorization.AUTH_TYPE_GRANT;
    grant(grantT, "demo", null, Resources.APPLICATION, "*", Permissions.ALL);
    grant(grantT, null, "accounting", Resources.APPLICATION, "tasklist", Permissions.ACCESS);
    grant(grantT, null, "management", Resources.APPLICATION, "cockpit", Permissions.ACCESS);
    grant(grantT, "mary", null, Resources.APPLICATION, "admin", Permissions.ACCESS);
    grant(grantT, "peter", null, Resources.APPLICATION, "welcome", Permissions.ACCESS);
    grant(grantT, "demo", null, Resources.USER, "*", Permissions.ALL);
    grant(grantT, "john", null, Resources.USER, "john", Permissions.READ, Permissions.UPDATE);
    grant(grantT, null, "management", Resources.GROUP, "*", Permissions.READ);
    grant(grantT, "demo", null, Resources.GROUP_MEMBERSHIP, "*", Permissions.ALL);
    grant(grantT, "demo", null, Resources.AUTHORIZATION, "*", Permissions.ALL);
    grant(grantT, "demo", null, Resources.TENANT, "*", Permissions.ALL);
    grant(grantT, null, "accounting", Resources.TENANT, "tenant1", Permissions.READ);
    grant(grantT, "demo", null, Resources.TENANT_MEMBERSHIP, "*", Permissions.ALL);
    grant(grantT, "demo", null, Resources.SYSTEM, "*", SystemPermissions.READ);
    grant(grantT, "demo", null, Resources.BATCH, "*", BatchPermissions.ALL);
    grant(grantT, "john", null, Resources.BATCH, "*", BatchPermissions.READ,
        BatchPermissions.CREATE_BATCH_MIGRATE_PROCESS_INSTANCES);
    grant(grantT, "john", null, Resources.PROCESS_DEFINITION, "usertasks", ProcessDefinitionPermissions.READ,
        ProcessDefinitionPermissions.CREATE_INSTANCE, ProcessDefinitionPermissions.READ_INSTANCE);
    grant(grantT, null, "accounting", Resources.PROCESS_DEFINITION, "*", ProcessDefinitionPermissions.READ,
        ProcessDefinitionPermissions.READ_TASK, ProcessDefinitionPermissions.UPDATE_TASK);
    grant(grantT, "peter", null, Resources.PROCESS_DEFINITION, "lifecycle", ProcessDefinitionPermissions.ALL);
    grant(grantT, "sally", null, Resources.PROCESS_DEFINITION, "*", ProcessDefinitionPermissions.SUSPEND);
    grant(grantT, "mary", null, Resources.DECISION_DEFINITION, "dish", Permissions.READ,
        Permissions.CREATE_INSTANCE);
    grant(grantT, "mary", null, Resources.DECISION_REQUIREMENTS_DEFINITION, "drinks_drd", Permissions.READ);
    grant(grantT, "demo", null, Resources.DEPLOYMENT, "*", Permissions.ALL);
    Deployment ut = repository.createDeploymentQuery().deploymentName("usertasks").singleResult();
    if (ut != null) {
      grant(grantT, "john", null, Resources.DEPLOYMENT, ut.getId(), Permissions.READ);
      action("DEPLOYMENT authorization for john on deployment " + ut.getId() + " (usertasks)");
    }
    grant(grantT, null, "sales", Resources.TASK, "*", TaskPermissions.READ, TaskPermissions.UPDATE);
    grant(grantT, "peter", null, Resources.PROCESS_INSTANCE, "*", ProcessInstancePermissions.READ);
    grant(grantT, "sally", null, Resources.FILTER, "*", Permissions.READ);
    grant(grantT, "sally", null, Resources.HISTORIC_TASK, "*", HistoricTaskPermissions.READ);
    grant(grantT, "sally", null, Resources.HISTORIC_PROCESS_INSTANCE, "*", HistoricProcessInstancePermissions.READ);
    grant(grantT, "sally", null, Resources.OPERATION_LOG_CATEGORY, "*", UserOperationLogCategoryPermissions.READ);
    grant(Authorization.AUTH_TYPE_REVOKE, "peter", null, Resources.PROCESS_DEFINITION, "usertasks",
        ProcessDefinitionPermissions.DELETE);
    grant(Authorization.AUTH_TYPE_REVOKE, null, "sales", Resources.DEPLOYMENT, "*", Permissions.DELETE);
    grant(Authorization.AUTH_TYPE_GLOBAL, "*", null, Resources.PROCESS_DEFINITION, "*",
        ProcessDefinitionPermissions.READ);
    grant(Authorization.AUTH_TYPE_GLOBAL, "*", null, Resources.APPLICATION, "tasklist", Permissions.ACCESS);

    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("users", 5);
    counts.put("groups", 5);
    counts.put("memberships", 7);
    counts.put("tenants", 2);
    counts.put("tenantMemberships", 5);
    counts.put("authorizations", authCount);
    current.put("identity", counts);
    action("users demo,john,mary,peter,sally (password <id>-secret); groups accounting,management,sales,"
        + "camunda-admin,auditors; tenants tenant1,tenant2; " + authCount + " authorizations incl. REVOKE and GLOBAL");
  }

  // ---------------------------------------------------------------- bench

  private void bench(int n) {
    deploy("bench", null, "bench.bpmn", "bench_child.bpmn", "bench_discount.dmn");
    Map<String, Integer> states = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      int kind = i % 10;
      double amount = 25.0 + (i * 37) % 900;
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("orderId", "B-" + i);
      v.put("customer", "Customer " + (i % 50));
      v.put("amount", amount);
      v.put("quantity", 1 + i % 9);
      v.put("total", 1_000_000L + i);
      v.put("express", i % 3 == 0);
      v.put("orderDate", day(i % 30));
      v.put("checksum", Variables.byteArrayValue(new byte[] {(byte) i, (byte) (i >> 8), 42}));
      v.put("remark", null);
      v.put("payload", SpinValues.jsonValue("{\"lines\":" + (1 + i % 4) + ",\"sku\":\"SKU-" + i + "\"}").create());
      v.put("fail", kind == 7);
      ProcessInstance pi = runtime.startProcessInstanceByKey("bench", "bench-" + i, v);
      String id = pi.getId();
      String state;
      switch (kind) {
        case 0, 1, 2 -> {
          completeIn(id, "approve", null);
          executeOnly(id, "book");
          completeIn(subInstance(id), "archiveTask", null);
          state = "completed";
        }
        case 3, 4 -> state = "waiting-approve";
        case 5 -> {
          as("demo", () -> tasks.claim(task(id, "approve").getId(), "demo"));
          state = "waiting-approve-claimed";
        }
        case 6 -> {
          completeIn(id, "approve", vars("approvedBy", "bench"));
          state = "job-pending";
        }
        case 7 -> {
          completeIn(id, "approve", null);
          for (int k = 0; k < 5 && job(id, "book").getRetries() > 0; k++) {
            executeOnly(id, "book");
          }
          state = "incident";
        }
        case 8 -> {
          completeIn(id, "approve", null);
          executeOnly(id, "book");
          state = "in-child";
        }
        default -> {
          runtime.deleteProcessInstance(id, "bench cancel"); // history state INTERNALLY_TERMINATED
          state = "canceled";
        }
      }
      states.merge(state, 1, Integer::sum);
    }
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("instances", n);
    b.put("states", states);
    current.put("bench", b);
    action("bench: " + n + " instances of 'bench' (10-instance cycle: 3 completed, 2 at approve, 1 claimed, "
        + "1 async job pending, 1 incident, 1 in call activity child, 1 canceled)");
  }

  // ---------------------------------------------------------------- zoo

  /**
   * Element types and engine features no other scenario touches: script, manual, send, receive and plain
   * tasks, inclusive and event-based gateways, escalation, conditional, link, compensation and terminate
   * events, signal and timer start events, a custom incident type, a process instance migrated to a new
   * version, a restarted instance, a batch (async delete: job logs without a process instance), a
   * deployment deleted after its instance completed (history pointing at a definition that is gone),
   * standalone tasks, a CMMN case (tasks and variables without a process instance), and awkward values.
   */
  private void zoo() {
    Deployment v1 = deploy("zoo", null, "zoo.bpmn");
    String v1Id = repository.createProcessDefinitionQuery().deploymentId(v1.getId()).processDefinitionKey("zoo")
        .singleResult().getId();
    Map<String, Object> odd = new LinkedHashMap<>();
    odd.put("bigText", "z".repeat(3_999)); // TEXT_ holds 4,000
    odd.put("escapes", "line1\nline2\ttab\\back\r\nend");
    // MariaDB's and MySQL's Camunda 7 tables are utf8 (3 bytes): no character beyond the BMP there
    boolean mysqlFamily = options.jdbcUrl.startsWith("jdbc:mariadb:") || options.jdbcUrl.startsWith("jdbc:mysql:");
    odd.put("emoji", mysqlFamily ? "snowman \u2603 \u00e9\u00e8" : "zebra \uD83E\uDD93 \u00e9\u00e8");
    odd.put("n".repeat(255), "a name of 255 characters");
    odd.put("maxDouble", Double.MAX_VALUE);
    odd.put("minLong", Long.MIN_VALUE);
    odd.put("farDate", new Date(253402214400000L)); // 9999-12-31
    odd.put("emptyJson", SpinValues.jsonValue("{}").create());

    Map<String, Object> base = vars("go", false, "undo", false);
    Inst z1 = start("zoo", "zoo-waiting-1", new LinkedHashMap<>(base));
    runtime.setVariables(z1.id, odd);
    String gw = runtime.createExecutionQuery().processInstanceId(z1.id).activityId("eventGw").singleResult().getId();
    runtime.createIncident("zooCustomIncident", gw, "zoo-config", "a custom incident type");
    z1.step("custom incident zooCustomIncident").put("waitingAt", List.of("sideTask", "eventGw")).state("incident");

    Inst z2 = start("zoo", "zoo-completed-1", new LinkedHashMap<>(base));
    runtime.createMessageCorrelation("zooMsg").processInstanceBusinessKey(z2.businessKey).correlate();
    runtime.createMessageCorrelation("zooReceive").processInstanceBusinessKey(z2.businessKey).correlate();
    runtime.setVariable(z2.id, "go", true);
    complete(z2, "finalTask", vars("undo", true));
    z2.step("message, receive, condition, link, compensation, terminate").state("completed");

    Inst z3 = start("zoo", "zoo-migrated-1", new LinkedHashMap<>(base));
    runJob(z3, "timedOut");
    z3.put("waitingAt", List.of("sideTask", "receive"));

    Inst z4 = start("zoo", "zoo-batch-deleted-1", new LinkedHashMap<>(base));
    org.camunda.bpm.engine.batch.Batch batch = runtime.deleteProcessInstancesAsync(List.of(z4.id), "zoo batch delete");
    runBatch(batch);
    z4.step("deleted by batch " + batch.getId()).state("canceled");

    // a second version; z3 moves to it, its finished activities stay on version 1
    Deployment v2 = deploy("zoo-v2", null, "zoo.bpmn");
    String v2Id = repository.createProcessDefinitionQuery().deploymentId(v2.getId()).processDefinitionKey("zoo")
        .singleResult().getId();
    org.camunda.bpm.engine.migration.MigrationPlan plan = runtime.createMigrationPlan(v1Id, v2Id)
        .mapEqualActivities().build();
    runtime.newMigration(plan).processInstanceIds(z3.id).execute();
    z3.step("migrated to version 2").put("processDefinitionId", v2Id);

    runtime.restartProcessInstances(v1Id).startBeforeActivity("finalTask").processInstanceIds(z2.id).execute();
    ProcessInstance restarted = runtime.createProcessInstanceQuery().processDefinitionId(v1Id).active().list().stream()
        .filter(p -> !p.getId().equals(z1.id)).findFirst().orElseThrow();
    new Inst(restarted, restarted.getBusinessKey(), "zoo").step("restarted from " + z2.id)
        .put("waitingAt", List.of("finalTask"));

    runtime.signalEventReceived("zooSignal");
    ProcessInstance bySignal = runtime.createProcessInstanceQuery().processDefinitionKey("zooSignalStart").singleResult();
    new Inst(bySignal, null, "zooSignalStart").step("started by signal zooSignal").put("waitingAt", List.of("sigTask"));

    Job timerStart = management.createJobQuery().processDefinitionKey("zooTimerStart").singleResult();
    management.executeJob(timerStart.getId());
    ProcessInstance byTimer = runtime.createProcessInstanceQuery().processDefinitionKey("zooTimerStart").singleResult();
    new Inst(byTimer, null, "zooTimerStart").step("started by its timer start event")
        .put("waitingAt", List.of("timerTask"));

    Deployment gone = deploy("zoo-gone", null, "zoo_gone.bpmn");
    Inst g = start("zooGone", "zoo-gone-1", vars("orderId", "G1"));
    complete(g, "task");
    repository.deleteDeployment(gone.getId(), false);
    g.step("deployment deleted (not cascading): history without its definition").state("completed");

    Task open = tasks.newTask();
    open.setName("Standalone open task");
    open.setAssignee("demo");
    tasks.saveTask(open);
    tasks.setVariableLocal(open.getId(), "standaloneNote", "no process instance");
    Task closed = tasks.newTask();
    closed.setName("Standalone completed task");
    tasks.saveTask(closed);
    as("demo", () -> tasks.complete(closed.getId(), vars("standaloneDone", true)));
    action("standalone tasks: 1 open (assignee demo, local variable), 1 completed by demo");

    deploy("zoo-case", null, "zoo.cmmn");
    org.camunda.bpm.engine.CaseService cases = engine.getCaseService();
    org.camunda.bpm.engine.runtime.CaseInstance ci = cases.createCaseInstanceByKey("zooCase", "zoo-case-1",
        vars("caseVar", "cmmn"));
    Task review = tasks.createTaskQuery().caseInstanceId(ci.getId()).singleResult();
    tasks.complete(review.getId(), vars("reviewed", true));
    action("CMMN case zooCase " + ci.getId() + ": human task completed, case variables caseVar and reviewed");
  }

  /** Runs a batch's seed job, its execution jobs and its monitor job. */
  private void runBatch(org.camunda.bpm.engine.batch.Batch batch) {
    for (Job j : management.createJobQuery().jobDefinitionId(batch.getSeedJobDefinitionId()).list()) {
      management.executeJob(j.getId());
    }
    for (Job j : management.createJobQuery().jobDefinitionId(batch.getBatchJobDefinitionId()).list()) {
      management.executeJob(j.getId());
    }
    for (Job j : management.createJobQuery().jobDefinitionId(batch.getMonitorJobDefinitionId()).list()) {
      management.executeJob(j.getId());
    }
  }

  private void executeOnly(String processInstanceId, String activityId) {
    try {
      management.executeJob(job(processInstanceId, activityId).getId());
    } catch (RuntimeException e) {
      // failure recorded by the engine (retries decremented / incident)
    }
  }
}
