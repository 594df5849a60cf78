package io.c7to8.harness.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/** Resolved through the engine's beans map as ${greetingDelegate}. */
public class GreetingDelegate implements JavaDelegate {
  @Override
  public void execute(DelegateExecution execution) {
    Object customer = execution.getVariable("customer");
    execution.setVariable("greeting", "Hello " + customer);
  }
}
