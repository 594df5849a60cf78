package io.c7to8.harness.delegates;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/** Throws the BPMN error INVALID when the variable {@code invalid} is true. */
public class ValidateDelegate implements JavaDelegate {
  @Override
  public void execute(DelegateExecution execution) {
    if (Boolean.TRUE.equals(execution.getVariable("invalid"))) {
      throw new BpmnError("INVALID", "input data is invalid");
    }
  }
}
