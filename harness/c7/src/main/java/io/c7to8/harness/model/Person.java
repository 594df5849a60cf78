package io.c7to8.harness.model;

import java.io.Serializable;

/** Java-serialized shape 2: nested POJO. */
public class Person implements Serializable {
  private static final long serialVersionUID = 1L;
  public String name;
  public int age;
  public Address home;
  public Address work;

  public Person() {}

  public Person(String name, int age, Address home, Address work) {
    this.name = name;
    this.age = age;
    this.home = home;
    this.work = work;
  }
}
