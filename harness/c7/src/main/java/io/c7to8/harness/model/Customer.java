package io.c7to8.harness.model;

import java.io.Serializable;

/** Bean serialized as application/json and application/xml object values (Spin Jackson / JAXB). */
public class Customer implements Serializable {
  private static final long serialVersionUID = 1L;
  private String name;
  private String email;
  private int age;
  private boolean vip;

  public Customer() {}

  public Customer(String name, String email, int age, boolean vip) {
    this.name = name;
    this.email = email;
    this.age = age;
    this.vip = vip;
  }

  public String getName() { return name; }
  public void setName(String name) { this.name = name; }
  public String getEmail() { return email; }
  public void setEmail(String email) { this.email = email; }
  public int getAge() { return age; }
  public void setAge(int age) { this.age = age; }
  public boolean isVip() { return vip; }
  public void setVip(boolean vip) { this.vip = vip; }
}
