package io.c7to8.harness.model;

import java.io.Serializable;

/** Java-serialized shape 1: primitives and a string. */
public class SimplePojo implements Serializable {
  private static final long serialVersionUID = 1L;
  public int count = 7;
  public long big = 9_007_199_254_740_993L;
  public double ratio = 0.25;
  public float weight = 1.5f;
  public boolean active = true;
  public char code = 'Z';
  public byte flags = 3;
  public short small = 12;
  public String label = "simple";
}
