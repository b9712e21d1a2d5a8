using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pipeline.Generation;

/// <summary>
/// Small, fast, seedable PRNG (xoshiro256**). We do not use <see cref="Random"/> because the output must be
/// byte-identical across runtimes and because every work item needs its own stream derived from
/// (seed, item identity), so parallel generation stays deterministic.
/// </summary>
internal sealed class GenRandom
{
    private const string Alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const string UpperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const string LowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const string HexDigits = "0123456789abcdef";

    private ulong _s0, _s1, _s2, _s3;

    public GenRandom(ulong seed)
    {
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    /// <summary>Restarts the stream from a new seed, so one instance can be reused per record without allocating.</summary>
    public void Reseed(ulong seed)
    {
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    /// <summary>A generator whose stream depends only on the seed and the identity parts (order matters).</summary>
    public static GenRandom Derive(long seed, params ReadOnlySpan<long> parts) => new(Mix(seed, parts));

    public static ulong Mix(long seed, ReadOnlySpan<long> parts)
    {
        var h = (ulong)seed ^ 0x9E3779B97F4A7C15UL;
        foreach (var p in parts)
        {
            h ^= (ulong)p + 0x9E3779B97F4A7C15UL + (h << 6) + (h >> 2);
            h = SplitMix(ref h);
        }

        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextULong()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform integer in [0, max).</summary>
    public int Next(int max) => max <= 1 ? 0 : (int)((NextULong() >> 33) % (ulong)max);

    public int Next(int min, int maxExclusive) => min + Next(maxExclusive - min);

    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public bool Chance(double p) => NextDouble() < p;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Poisson sample; Knuth for small means, rounded normal approximation above 30 (good enough for counts).</summary>
    public int Poisson(double mean)
    {
        if (mean <= 0)
        {
            return 0;
        }

        if (mean < 30)
        {
            var l = Math.Exp(-mean);
            var k = 0;
            var p = 1.0;
            do
            {
                k++;
                p *= NextDouble();
            }
            while (p > l);
            return k - 1;
        }

        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        var z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        return Math.Max(0, (int)Math.Round(mean + z * Math.Sqrt(mean)));
    }

    /// <summary>A version-4 UUID in the lowercase 8-4-4-4-12 form CloudTrail uses for eventID.</summary>
    public Guid NextGuid()
    {
        Span<byte> b = stackalloc byte[16];
        BitConverter.TryWriteBytes(b, NextULong());
        BitConverter.TryWriteBytes(b[8..], NextULong());
        b[7] = (byte)((b[7] & 0x0F) | 0x40); // version nibble in Guid's little-endian field layout
        b[8] = (byte)((b[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(b);
    }

    public string Hex(int length) => Chars(HexDigits, length);

    public string AlnumString(int length) => Chars(Alnum, length);

    public string LowerAlnumString(int length) => Chars(LowerAlnum, length);

    /// <summary>Upper-case base32-ish string, the alphabet of IAM unique ids (AROA…, AKIA…).</summary>
    public string IamId(int length) => Chars(UpperAlnum, length);

    public string Digits(int length) => Chars("0123456789", length);

    private string Chars(string alphabet, int length) =>
        string.Create(length, (this, alphabet), static (span, state) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = state.alphabet[state.Item1.Next(state.alphabet.Length)];
            }
        });

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
