package io.c7to8.harness.model;

/** Java-serialized shape 6: subclass with inherited fields. */
public class Employee extends BaseEntity {
  private static final long serialVersionUID = 1L;
  public String name;
  public double salary;
  public String department;
}
